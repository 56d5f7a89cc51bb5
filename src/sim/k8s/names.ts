/**
 * The generated names controllers give objects, made deterministic: the same cluster and the
 * same edits always produce the same names (a trace is reproducible from its scenario).
 */

/** k8s.io/apimachinery/pkg/util/rand: "bcdfghjklmnpqrstvwxz2456789" — no vowels, no look-alikes. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits (hash/fnv New32a, what the Deployment controller hashes pod templates with). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character mapped onto the alphabet (how pod-template-hash reads). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** A 5-character suffix like `generateName`'s (`nginx-test-7646687cc4-` + `n8s9s`), from a seed text. */
export function hashName(seed: string, length = 5): string {
  let h = fnv32a(seed);
  let out = '';
  for (let i = 0; i < length; i++) {
    out += ALPHANUMS[h % ALPHANUMS.length];
    h = Math.floor(h / ALPHANUMS.length) ^ fnv32a(`${seed}#${i}`);
    h >>>= 0;
  }
  return out;
}

/** ComputeHash of a pod template: fnv32a, then SafeEncodeString of its decimal form. */
export function podTemplateHash(template: string): string {
  return safeEncode(String(fnv32a(template)));
}

/** A pod as Kubernetes keys it: `namespace/name`. */
export function podKey(p: { readonly namespace: string; readonly name: string }): string {
  return `${p.namespace}/${p.name}`;
}
