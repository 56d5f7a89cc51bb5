import { useEffect, useState } from 'react';
import { useStore } from '../store/store.ts';
import { openFile, saveLab } from './open.ts';

/**
 * What the first download holds of the import: the header's "Open…" and "Save lab" buttons and
 * the page-wide drop target. The dialog itself (ImportDialog.tsx) is loaded when first opened.
 */

export function ImportButtons() {
  const setOpen = useStore((s) => s.setImportOpen);
  const ready = useStore((s) => s.shown !== null);
  return (
    <>
      <button type="button" className="btn" data-testid="import.open" title="Open your own cluster: what kubectl get … -o yaml|json printed, or a saved lab" onClick={() => setOpen(true)}>
        Open…
      </button>
      <button type="button" className="btn" data-testid="lab.save" disabled={!ready} title="Save the cluster, modes, edits, flow and step as one file (Open… restores it)" onClick={saveLab}>
        Save lab
      </button>
    </>
  );
}

/** Dropping a file anywhere on the page opens it; an overlay says so while one is dragged over. */
export function DropTarget() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setOver(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const overPage = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      const file = e.dataTransfer?.files[0];
      if (file) void openFile(file, useStore.getState().scenario.lan);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', overPage);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', overPage);
      window.removeEventListener('drop', drop);
    };
  }, []);
  if (!over) return null;
  return (
    <div className="drop-overlay" data-testid="import.drop" aria-hidden="true">
      <div className="drop-card">Drop a kubectl dump (YAML or JSON) or a saved lab to open it</div>
    </div>
  );
}
