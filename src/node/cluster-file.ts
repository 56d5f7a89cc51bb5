import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_CLUSTER_CHARS } from '../sim/k8s/import/decode.ts';

/**
 * Reading a cluster file for `--cluster FILE|-`: only a regular file or a pipe, never more than
 * the stated limit (a directory, /dev/zero or a 10 GB file get a message, not EISDIR or a heap
 * the size of the disk).
 */

export const MAX_CLUSTER_BYTES = MAX_CLUSTER_CHARS;

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

export type FileText = { ok: true; text: string } | { ok: false; message: string };

/** Reads `fd` up to the limit; one byte more and it stops and says so. */
function readBounded(fd: number, what: string): FileText {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe with nothing yet
      if (code === 'EOF') break;
      return { ok: false, message: `${what}: cannot be read (${code ?? (e as Error).message})` };
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_CLUSTER_BYTES) return { ok: false, message: `${what}: more than ${mb(MAX_CLUSTER_BYTES)}; the limit for a cluster file is ${mb(MAX_CLUSTER_BYTES)}` };
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

export function readClusterFile(path: string): FileText {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : (code ?? (e as Error).message);
    return { ok: false, message: `--cluster ${path}: ${why}` };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, message: `--cluster ${path}: Is a directory` };
    if (!st.isFile() && !st.isFIFO()) return { ok: false, message: `--cluster ${path}: not a regular file (a device or socket); give a file, or - for standard input` };
    if (st.isFile() && st.size > MAX_CLUSTER_BYTES) return { ok: false, message: `--cluster ${path}: ${mb(st.size)}; the limit for a cluster file is ${mb(MAX_CLUSTER_BYTES)}` };
    return readBounded(fd, `--cluster ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** `--cluster -`: what is piped in (`kubectl get … -o yaml | kube-packet-lab …`). */
export function readClusterStdin(isTTY: boolean | undefined): FileText {
  if (isTTY) return { ok: false, message: '--cluster -: standard input is a terminal; pipe a file in (kubectl get nodes,pods,svc,endpointslices,cm -A -o yaml | kube-packet-lab … --cluster -)' };
  return readBounded(0, '--cluster -');
}
