import { releaseProxy, wrap } from 'comlink';
import type { SimApi } from '../../worker/protocol.ts';
import type { WorkerHandle, WorkerRole } from './client.ts';

let current: Worker | undefined;

/** Test hook: makes the running worker report a fatal error, as a worker that died would. */
export function crashSimWorker(message: string): void {
  current?.dispatchEvent(new ErrorEvent('error', { message }));
}

/** Starts a simulation worker (a module worker, bundled by Vite) behind comlink. */
export function spawnSimWorker(role: WorkerRole = 'sim'): WorkerHandle {
  const worker = new Worker(new URL('../../worker/sim.worker.ts', import.meta.url), { type: 'module', name: `kube-packet-lab-${role}` });
  if (role === 'sim') current = worker;
  const remote = wrap<SimApi>(worker);
  let crashed: ((message: string) => void) | undefined;
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    crashed?.(e.message || 'it could not be loaded');
  });
  worker.addEventListener('messageerror', () => crashed?.('a message from it could not be read'));
  return {
    api: remote as unknown as SimApi,
    onCrash: (cb) => {
      crashed = cb;
    },
    terminate: () => {
      remote[releaseProxy]();
      worker.terminate();
    },
  };
}
