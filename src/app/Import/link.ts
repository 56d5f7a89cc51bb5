/**
 * A user's cluster in the share link: deflated with fflate and base64url-encoded into the URL
 * fragment (`#cluster=…`), which never reaches a server. fflate is loaded only when a link
 * carries or needs a cluster, so the first download does not pay for it.
 */

/** Past this the link is not offered (chat tools and some browsers cut long URLs): Save lab is. */
export const LINK_MAX_CHARS = 64_000;
/** A fragment larger than this is not even read (a link is not a file transfer). */
const HASH_MAX_CHARS = 2_000_000;
/** What a link's cluster may inflate to: the cluster file limit. */
const INFLATED_MAX_BYTES = 50 * 1024 * 1024;

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const bin = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `#cluster=…` for a cluster text, or null when it would make the link too long. */
export async function clusterHash(text: string): Promise<string | null> {
  const { deflateSync, strToU8 } = await import('fflate');
  const hash = `#cluster=${toBase64Url(deflateSync(strToU8(text), { level: 9 }))}`;
  return hash.length > LINK_MAX_CHARS ? null : hash;
}

/** The cluster a link's fragment carries: undefined when it has none, else its text or what is wrong. */
export async function clusterFromHash(hash: string): Promise<{ ok: true; text: string } | { ok: false; error: string } | undefined> {
  const m = /^#(?:.*&)?cluster=([^&]*)/.exec(hash);
  if (!m) return undefined;
  const data = m[1]!;
  if (!/^[A-Za-z0-9_-]+$/.test(data)) return { ok: false, error: 'the link\'s cluster is not base64url text (was the link cut or changed?)' };
  if (hash.length > HASH_MAX_CHARS) return { ok: false, error: `the link's cluster is ${hash.length} characters long; links hold at most ${HASH_MAX_CHARS}` };
  try {
    const { Inflate, strFromU8 } = await import('fflate');
    const parts: Uint8Array[] = [];
    let size = 0;
    const inflate = new Inflate((chunk) => {
      size += chunk.length;
      if (size > INFLATED_MAX_BYTES) throw new Error(`it would inflate past ${INFLATED_MAX_BYTES / 1048576} MB`);
      parts.push(chunk);
    });
    inflate.push(fromBase64Url(data), true);
    const all = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return { ok: true, text: strFromU8(all) };
  } catch (e) {
    return { ok: false, error: `the link's cluster could not be read (${e instanceof Error ? e.message : String(e)})` };
  }
}
