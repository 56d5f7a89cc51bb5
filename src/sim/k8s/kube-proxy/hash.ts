/**
 * kube-proxy's chain names: the first 16 characters of base32(sha256(text)). Implemented here in
 * plain TypeScript because the simulation also runs in the browser, where node:crypto does not
 * exist and WebCrypto's digest is asynchronous.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

const W = new Uint32Array(64);
const H0: readonly number[] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** SHA-256 (FIPS 180-4) of a byte string. Plain locals and one reused schedule: it runs for every chain name. */
export function sha256(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8;
  // message + 0x80 + zero padding + 64-bit big-endian length, to a multiple of 64 bytes
  const padded = new Uint8Array(Math.ceil((data.length + 9) / 64) * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  let [h0, h1, h2, h3, h4, h5, h6, h7] = H0 as [number, number, number, number, number, number, number, number];
  const w = W;
  for (let off = 0; off < padded.length; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(off + t * 4);
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15]!;
      const w2 = w[t - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = w[t - 16]! + s0 + w[t - 7]! + s1;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
    for (let t = 0; t < 64; t++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t]! + w[t]!) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
    h5 = (h5 + f) >>> 0;
    h6 = (h6 + g) >>> 0;
    h7 = (h7 + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  [h0, h1, h2, h3, h4, h5, h6, h7].forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with `=` padding (Go's base32.StdEncoding). */
export function base32(data: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

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

/** knftables.NameLengthMax − chainNamePrefixLengthMax: what is left for a chain name's base. */
const NFT_CHAIN_NAME_BASE_MAX = 256 - 16;
const nftBaseCache = new Map<string, string>();

/**
 * nftables proxier.go hashAndTruncate: the first 8 base32 characters of sha256(name), a dash and
 * the readable name itself (`ULMVA6XW-ns1/svc1/tcp/p80`), cut to 240 characters ending in `...`.
 */
export function hashAndTruncate(name: string): string {
  let out = nftBaseCache.get(name);
  if (out === undefined) {
    // 8 base32 characters are exactly the first 5 bytes of the digest
    out = `${base32(sha256(encoder.encode(name)).subarray(0, 5))}-${name}`;
    if (out.length > NFT_CHAIN_NAME_BASE_MAX) out = `${out.slice(0, NFT_CHAIN_NAME_BASE_MAX - 3)}...`;
    if (nftBaseCache.size > 200_000) nftBaseCache.clear();
    nftBaseCache.set(name, out);
  }
  return out;
}
