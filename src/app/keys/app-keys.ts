import { useEffect } from 'react';
import { useStore } from '../store/store.ts';
import { defineKeys, dispatchKey } from './keys.ts';

/** Stops playback before a manual step, as a debugger's step does. */
function pause(): void {
  const s = useStore.getState();
  if (s.playing) s.setPlaying(false);
}

/** The keys of the debugger's playback, the help sheet and the terminal. */
function appKeys() {
  const s = () => useStore.getState();
  return defineKeys([
    { id: 'playback.toggle', keys: [' '], label: 'Play or pause (also when a button has focus)', group: 'Playback', views: ['debug'], run: () => s().togglePlay() },
    { id: 'playback.forward', keys: ['ArrowRight'], label: 'Step forward', group: 'Playback', views: ['debug'], run: () => (pause(), s().stepBy(1)) },
    { id: 'playback.back', keys: ['ArrowLeft'], label: 'Step back', group: 'Playback', views: ['debug'], run: () => (pause(), s().stepBy(-1)) },
    { id: 'playback.start', keys: ['Home'], label: 'Jump to the first step', group: 'Playback', views: ['debug'], run: () => s().toStart() },
    { id: 'playback.end', keys: ['End'], label: 'Jump to the last step', group: 'Playback', views: ['debug'], run: () => s().toEnd() },
    { id: 'topology.follow', keys: ['f'], label: 'Camera follows the packet: on or off', group: 'Topology', views: ['debug'], run: () => s().toggleFollow() },
    { id: 'topology.all', keys: ['a'], label: 'Every host with all its devices, or only the hosts on the path', group: 'Topology', views: ['debug'], run: () => s().toggleAllDevices() },
    {
      id: 'terminal.leave',
      keys: ['Escape'],
      label: 'Leave the terminal (focus goes to its tab)',
      group: 'Terminal',
      inText: true,
      run: (e) => {
        const t = e.target instanceof Element ? e.target : null;
        if (!t?.closest('.terminal')) return false;
        document.getElementById('tab-terminal')?.focus();
      },
    },
    { id: 'help.keys', keys: ['?'], label: 'Show this list of keys', group: 'Help', run: () => s().setKeySheet(true) },
  ]);
}

/**
 * Installs the app's keys and the one listener that dispatches every registered key. A Space the
 * shortcuts took must not also press the focused button: browsers press it on keyup.
 */
export function useAppKeys(): void {
  useEffect(() => {
    const undo = appKeys();
    let swallowUp = false;
    const down = (e: KeyboardEvent) => {
      if (dispatchKey(e, useStore.getState().view) && e.key === ' ') swallowUp = true;
    };
    const up = (e: KeyboardEvent) => {
      if (e.key !== ' ' || !swallowUp) return;
      swallowUp = false;
      e.preventDefault();
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      undo();
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);
}
