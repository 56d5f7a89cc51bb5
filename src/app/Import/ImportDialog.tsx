import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { simClient } from '../boot.ts';
import { useStore } from '../store/store.ts';
import { openFile, openText } from './open.ts';
import './Import.css';

/** What to run on your cluster to get a file this lab reads. */
const KUBECTL = 'kubectl get nodes,pods,services,endpointslices,configmaps,deployments,replicasets -A -o yaml > cluster.yaml';
const CIDR_LIST = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}(,\d{1,3}(\.\d{1,3}){3}\/\d{1,2})*$/;

/**
 * Open a cluster: a file (picked or dropped), text pasted from kubectl, or one of the example
 * dumps; a saved lab the same ways. A refused file is listed problem by problem — object,
 * field, line — and the cluster shown stays as it was.
 */
export function ImportDialog() {
  const setOpen = useStore((s) => s.setImportOpen);
  const busy = useStore((s) => s.importBusy);
  const refused = useStore((s) => s.importRefused);
  const examples = useStore(useShallow((s) => s.defaults?.clusters.filter((c) => c.dump) ?? []));
  const [text, setText] = useState('');
  const [lan, setLan] = useState(useStore.getState().scenario.lan ?? '');
  const fileRef = useRef<HTMLInputElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);
  const lanOk = lan.trim() === '' || CIDR_LIST.test(lan.trim());
  const lanValue = lan.trim() || undefined;

  useEffect(() => {
    const back = document.activeElement as HTMLElement | null;
    dialogRef.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      back?.focus?.();
    };
  }, [setOpen]);

  return (
    <div className="import-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setOpen(false)}>
      <div className="import-dialog" role="dialog" aria-modal="true" aria-labelledby="import-title" data-testid="import.dialog" ref={dialogRef}>
        <div className="import-head">
          <h2 id="import-title">Open a cluster</h2>
          <button type="button" className="notice-close" aria-label="Close" data-testid="import.close" onClick={() => setOpen(false)}>
            ×
          </button>
        </div>
        <p className="muted import-lead">
          Bring your own: what <code>kubectl get … -o yaml</code> or <code>-o json</code> printed (a List, several documents, files concatenated). What kubectl cannot say — the LAN, its gateway, the modes — is inferred and listed under the topology.
        </p>
        <p className="import-cmd mono" title="Run this against your cluster">
          {KUBECTL}
        </p>

        {refused && (
          <div className="import-refused" role="alert" data-testid="import.problems">
            <p>
              <strong>{refused.name}</strong> was not opened; the cluster shown is unchanged.
            </p>
            <ul>
              {refused.problems.map((p, i) => (
                <li key={i} data-testid="import.problem">
                  {p.line !== undefined && <span className="import-line">line {p.line}</span>}
                  <span className="import-object">{p.object}</span>
                  {p.field && <span className="import-field mono">{p.field}</span>}
                  <span className="import-message">{p.message}</span>
                </li>
              ))}
            </ul>
          </div>
        )}

        <div className="import-grid">
          <section className="import-section" aria-labelledby="import-file">
            <h3 id="import-file">From a file</h3>
            <p className="muted">Pick one, or drop it anywhere on the page. A saved lab (.kpl-lab.json) opens at its step.</p>
            <input
              ref={fileRef}
              type="file"
              className="sr-only"
              accept=".yaml,.yml,.json,.txt,application/json,application/yaml,text/yaml,text/plain"
              data-testid="import.file"
              aria-label="Cluster file or saved lab"
              onChange={(e) => {
                const f = e.target.files?.[0];
                e.target.value = '';
                if (f) void openFile(f, lanValue);
              }}
            />
            <button type="button" className="btn primary" data-autofocus disabled={busy || !lanOk} onClick={() => fileRef.current?.click()}>
              Choose a file…
            </button>
            <label className="import-lan">
              <span className="label">LAN (optional)</span>
              <input
                className="input mono"
                data-testid="import.lan"
                placeholder="e.g. 192.168.56.0/24"
                value={lan}
                aria-invalid={!lanOk}
                spellCheck={false}
                onChange={(e) => setLan(e.target.value)}
              />
            </label>
            <p className="muted small">{lanOk ? 'The nodes’ subnet(s), comma-separated; empty: a /24 around each group of InternalIPs.' : 'Write a CIDR like 192.168.56.0/24 (several: comma-separated).'}</p>
          </section>

          <section className="import-section" aria-labelledby="import-paste">
            <h3 id="import-paste">Paste</h3>
            <textarea
              className="input mono import-text"
              data-testid="import.text"
              aria-label="Cluster YAML or JSON"
              placeholder={'apiVersion: v1\nkind: List\nitems:\n- kind: Node\n  …'}
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
            <button type="button" className="btn primary" data-testid="import.load" disabled={busy || text.trim() === '' || !lanOk} onClick={() => void openText(text, 'pasted cluster', lanValue)}>
              {busy ? 'Checking…' : 'Open pasted cluster'}
            </button>
          </section>
        </div>

        {examples.length > 0 && (
          <section className="import-section" aria-labelledby="import-examples">
            <h3 id="import-examples">Examples — dumps as kubectl prints them</h3>
            <ul className="import-examples">
              {examples.map((c) => (
                <li key={c.id}>
                  <button
                    type="button"
                    className="btn"
                    data-testid={`import.example.${c.id}`}
                    disabled={busy}
                    onClick={() => {
                      void simClient().switchCluster(c.id);
                      setOpen(false);
                    }}
                  >
                    Open
                  </button>
                  <span>{c.label}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </div>
  );
}
