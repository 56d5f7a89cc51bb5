import { simClient } from '../boot.ts';
import { labFile, looksLikeLab, parseLab } from '../store/lab.ts';
import { useStore } from '../store/store.ts';

/**
 * Opening what the user brings — a file picked, dropped or pasted: a saved lab is restored, any
 * other text is read as a cluster file. A refused file leaves the cluster shown as it was and
 * the import dialog lists the problems.
 */

/** The largest file read: the core's cluster file limit. */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

function refuse(name: string, message: string): false {
  useStore.setState({ importOpen: true, importRefused: { name, message, problems: [{ object: name, message }] } });
  return false;
}

export async function openText(text: string, name: string, lan?: string): Promise<boolean> {
  if (looksLikeLab(text)) {
    const lab = parseLab(text);
    if (!lab.ok) return refuse(name, lab.error);
    return simClient().openLab(lab.value, name);
  }
  return simClient().openCluster(text, { name, ...(lan ? { lan } : {}) });
}

export async function openFile(file: File, lan?: string): Promise<boolean> {
  if (file.size > MAX_FILE_BYTES) return refuse(file.name, `is ${(file.size / 1048576).toFixed(1)} MB; the limit for a cluster file is ${MAX_FILE_BYTES / 1048576} MB`);
  let text: string;
  try {
    text = await file.text();
  } catch (e) {
    return refuse(file.name, `could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  return openText(text, file.name, lan);
}

/** "Save lab": the whole state as one file, downloaded. */
export function saveLab(): void {
  const s = useStore.getState();
  const shown = s.shown;
  if (!shown) return;
  const { flow, ...scenario } = shown;
  const text = labFile({ scenario, flow, cursor: s.cursor, view: s.view, ...(s.clusterName ? { clusterName: s.clusterName } : {}) });
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${(s.clusterName ?? scenario.preset ?? 'cluster').replace(/\.(json|ya?ml)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-')}.kpl-lab.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
