import { base32, sha256 } from '../digest.ts';

/** kube-proxy's chain names: the first 16 characters of base32(sha256(text)). */

/** Chain names repeat on every node and every sync: each input is hashed once (a pure function). */
const hashCache = new Map<string, string>();
const encoder = new TextEncoder();

function hash16(text: string): string {
  let h = hashCache.get(text);
  if (h === undefined) {
    // 16 base32 characters are exactly the first 10 bytes of the digest
    h = base32(sha256(encoder.encode(text)).subarray(0, 10));
    if (hashCache.size > 200_000) hashCache.clear();
    hashCache.set(text, h);
  }
  return h;
}

/**
 * proxier.go portProtoHash: the 16-character suffix shared by KUBE-SVC-, KUBE-SVL-, KUBE-EXT-
 * and KUBE-FW- chains. `svcPortName` is ServicePortName.String(): `ns/name:port` (or `ns/name`
 * when the port is unnamed); `protocol` is lower case.
 */
export function portProtoHash(svcPortName: string, protocol: string): string {
  return hash16(svcPortName + protocol);
}

/**
 * proxier.go servicePortEndpointChainName: `KUBE-SEP-` + 16 characters of the hash of the
 * service port name, protocol and endpoint (`ip:port`), concatenated with no separator.
 */
export function servicePortEndpointChainName(svcPortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${hash16(svcPortName + protocol + endpoint)}`;
}
