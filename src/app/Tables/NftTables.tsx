import { useMemo } from 'react';
import type { NamespaceTables, NftObjectView } from '../../sim/api-types.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';

/**
 * `nft list ruleset` of the namespace, object by object as nft prints it: each table's sets and
 * maps (with their elements), then its chains. The rule the current step ran is highlighted, and
 * so is the element its lookup found.
 */
export function NftTables({ tables, ev }: { tables: NamespaceTables; ev: TraceEvent | undefined }) {
  const byTable = useMemo(() => {
    const m = new Map<string, NftObjectView[]>();
    for (const o of tables.nftables) {
      const list = m.get(o.table);
      if (list) list.push(o);
      else m.set(o.table, [o]);
    }
    return [...m];
  }, [tables]);
  if (byTable.length === 0) return <div className="muted empty-rows">(no nftables tables in this namespace)</div>;
  const ref = ev?.ref?.table === 'nftables' ? ev.ref : undefined;
  return (
    <div className="nft" data-testid="tables.nft">
      {byTable.map(([table, objects]) => (
        <div key={table} className="nft-table">
          <div className="nft-line">table {table} {'{'}</div>
          {objects.map((o) => {
            const usedChain = ref && ref.nftTable === table && o.kind === 'chain' && ref.chain === o.name;
            return (
              <div key={`${o.kind} ${o.name}`} className={`nft-obj${usedChain ? ' used' : ''}`} data-testid={`tables.nft.${o.kind}.${o.name}`}>
                <div className="nft-line ind1">
                  {o.kind} {o.name} {'{'}
                </div>
                {o.decl.map((d) => (
                  <div key={d} className="nft-line ind2 muted">
                    {d}
                  </div>
                ))}
                {o.kind === 'chain'
                  ? o.rows.map((r, i) => {
                      const hit = usedChain && ref.row === i;
                      return (
                        <div key={i} className={`nft-line ind2${hit ? ' hit' : ''}`} aria-current={hit ? 'true' : undefined} data-testid={`tables.nft.rule.${o.name}.${i}`}>
                          {r}
                        </div>
                      );
                    })
                  : o.rows.length > 0 && (
                      <>
                        <div className="nft-line ind2">elements = {'{'}</div>
                        {o.rows.map((r) => {
                          const hit = ref?.element === r && ref.nftTable === table;
                          return (
                            <div key={r} className={`nft-line ind3${hit ? ' hit' : ''}`} aria-current={hit ? 'true' : undefined}>
                              {r}
                            </div>
                          );
                        })}
                        <div className="nft-line ind2">{'}'}</div>
                      </>
                    )}
                <div className="nft-line ind1">{'}'}</div>
              </div>
            );
          })}
          <div className="nft-line">{'}'}</div>
        </div>
      ))}
    </div>
  );
}
