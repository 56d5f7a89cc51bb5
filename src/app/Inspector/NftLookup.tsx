/**
 * Under an nftables rule in the chain view: the element of the set or verdict map whose lookup
 * decided the rule — `10.43.6.58 . tcp . 80 : goto service-…` for @service-ips, `1 : goto
 * endpoint-…` for numgen's anonymous map. One hash lookup, however many services there are.
 */
export function NftLookupRow({ element, current }: { element: string; current: boolean }) {
  return (
    <tr className={`nft-lookup${current ? ' current' : ''}`} data-testid="inspector.chainview.element">
      <td className="num" />
      <td className="pk" />
      <td className="by" />
      <td className="rt" colSpan={2} title="the element the lookup found">
        <span className="muted">element </span>
        {element}
      </td>
    </tr>
  );
}
