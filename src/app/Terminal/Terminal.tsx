import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { simClient } from '../boot.ts';
import { useStore } from '../store/store.ts';
import { namespaceMembers } from '../Topology/docker.ts';
import './Terminal.css';

/** `kubectl apply -f -` (or --filename=-): the command takes the text area below as its input */
const APPLY_STDIN = /^\s*kubectl\s+apply\b.*(?:-f|--filename)(?:\s+|=)-\s*$/;

const EXAMPLES = ['ip route', 'ip neigh show dev flannel.1', 'bridge fdb show dev flannel.1', 'iptables -nvL -t nat', 'ipvsadm -Ln', 'nft list ruleset', 'ip route del 10.42.1.0/24'];

/**
 * A shell on any host or pod. Output is what the real command prints for the model's state; a
 * command that changes state is added to the edits and the trace is computed again.
 */
export function Terminal() {
  const hosts = useStore((s) => s.result?.topology.hosts);
  const log = useStore(useShallow((s) => s.terminalLog));
  const busy = useStore((s) => s.terminalBusy);
  const target = useStore((s) => s.terminalTarget);
  const atStep = useStore((s) => s.terminalAtStep);
  const setAtStep = useStore((s) => s.setTerminalAtStep);
  const cursor = useStore((s) => s.cursor);
  const setTarget = useStore((s) => s.setTerminalTarget);
  const [line, setLine] = useState('');
  // `kubectl apply -f -` reads standard input: the YAML pasted under the command line
  const [stdin, setStdin] = useState('');
  const readsStdin = APPLY_STDIN.test(line);
  const [, setHist] = useState<{ list: string[]; at: number }>({ list: [], at: -1 });
  const outRef = useRef<HTMLDivElement>(null);

  const containers = useStore((s) => s.containers);
  const targets = useMemo(() => {
    const t: { value: string; label: string }[] = [];
    for (const h of hosts ?? []) {
      t.push({ value: h.name, label: `${h.name} (host)` });
      for (const ns of h.namespaces) {
        if (ns.kind === 'pod') t.push({ value: ns.name, label: `${ns.name} (pod on ${h.name})` });
        else if (ns.kind === 'container') {
          const m = namespaceMembers(ns, h.name, containers);
          t.push({ value: ns.name, label: `${ns.name} (container${m.names.length > 1 ? `s ${m.names.join(', ')}` : ''} on ${h.name})` });
        }
      }
      for (const c of containers) if (c.host === h.name && c.mode === 'host') t.push({ value: c.name, label: `${c.name} (container in ${h.name}'s network)` });
    }
    return t;
  }, [hosts, containers]);
  const current = target || targets[0]?.value || '';

  useEffect(() => {
    const el = outRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log]);

  const run = async () => {
    const typed = line.trim();
    if (!typed || !current || busy) return;
    const cmd = readsStdin ? `${typed} <<EOF\n${stdin.replace(/\n+$/, '')}\nEOF` : typed;
    setHist((h) => ({ list: [...h.list.filter((x) => x !== cmd), cmd], at: -1 }));
    await simClient().runCommand(current, cmd);
    const last = useStore.getState().terminalLog.at(-1);
    if (last && !last.error) {
      setLine(''); // a bad command stays in the line to fix
      setStdin('');
    }
  };

  return (
    <div className="terminal">
      <div className="term-out mono" ref={outRef} data-testid="terminal.output" role="log" aria-label="Terminal output" aria-live="polite">
        {log.length === 0 && (
          <div className="term-hint muted">
            Try:{' '}
            {EXAMPLES.map((e) => (
              <button key={e} type="button" className="chip" onClick={() => setLine(e)} aria-label={`Type ${e}`}>
                {e}
              </button>
            ))}
          </div>
        )}
        {log.map((e) => (
          <div key={e.id} className="term-entry" data-testid={`terminal.entry.${e.id}`}>
            <div className="term-cmd">
              <span className="prompt">{e.target}#</span> {e.command}
              <span className="term-when" data-testid="terminal.when">
                {' '}
                · {e.atStep === undefined ? 'after the whole flow' : `at event ${e.atStep + 1} of the trace`}
              </span>
              {e.mutates && <span className="mut"> · applied as an edit</span>}
            </div>
            {e.error ? (
              <pre className="term-err" data-testid="terminal.error">
                {e.error}
              </pre>
            ) : (
              <pre className="term-text">{e.output}</pre>
            )}
          </div>
        ))}
      </div>
      <div className="term-state" role="group" aria-label="State the commands run on">
        <span className="label">runs on</span>
        <div className="seg">
          <button type="button" aria-pressed={!atStep} data-testid="terminal.state.end" title="The tables after the whole flow has run" onClick={() => setAtStep(false)}>
            the end of the flow
          </button>
          <button type="button" aria-pressed={atStep} data-testid="terminal.state.step" title="The tables as they stand right after the current step (counters, conntrack, ARP and FDB so far)" onClick={() => setAtStep(true)}>
            this step (event {cursor + 1})
          </button>
        </div>
      </div>
      <form
        className="term-line"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <select className="select" aria-label="Host, pod or container to run the command on" data-testid="terminal.target" value={current} onChange={(e) => setTarget(e.target.value)}>
          {targets.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
        <span className="prompt mono" aria-hidden="true">
          #
        </span>
        <input
          className="input mono term-input"
          data-testid="terminal.input"
          aria-label="Command"
          placeholder="ip route"
          autoComplete="off"
          spellCheck={false}
          value={line}
          onChange={(e) => setLine(e.target.value)}
          onPaste={(e) => {
            // several lines of YAML pasted on the command line go to kubectl apply's input
            const pasted = e.clipboardData.getData('text');
            if (!pasted.includes('\n') || (line.trim() !== '' && !APPLY_STDIN.test(line))) return;
            e.preventDefault();
            if (!APPLY_STDIN.test(line)) setLine('kubectl apply -f -');
            setStdin(pasted);
          }}
          onKeyDown={(e) => {
            if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
            e.preventDefault();
            setHist((h) => {
              if (!h.list.length) return h;
              const at = e.key === 'ArrowUp' ? (h.at < 0 ? h.list.length - 1 : Math.max(0, h.at - 1)) : h.at < 0 ? -1 : h.at + 1 >= h.list.length ? -1 : h.at + 1;
              setLine(at < 0 ? '' : (h.list[at] ?? ''));
              return { ...h, at };
            });
          }}
        />
        <button type="submit" className="btn primary" data-testid="terminal.run" aria-label="Run the command" disabled={busy || !line.trim() || (readsStdin && !stdin.trim())}>
          Run
        </button>
        {readsStdin && (
          <textarea
            className="input mono term-stdin"
            data-testid="terminal.stdin"
            aria-label="Standard input of kubectl apply -f - (YAML or JSON)"
            placeholder={'apiVersion: v1\nkind: Service\n…'}
            spellCheck={false}
            value={stdin}
            onChange={(e) => setStdin(e.target.value)}
          />
        )}
      </form>
    </div>
  );
}
