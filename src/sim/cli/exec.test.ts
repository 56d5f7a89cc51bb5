import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import { execCommand } from './exec.ts';
import { escapeControl } from './escape.ts';

/** Hostile and careless command lines (issue 13): each gets the real tool's message, never a TypeError. */
const c = (() => {
  const r = loadScenario({ preset: 'seed', modes: {}, seed: 1, before: [] });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();
const POD = 'nginx-test-7646687cc4-n8s9s';

function error(target: string, line: string): string {
  const r = execCommand(c, target, line);
  if (r.ok) throw new Error(`"${line}" was accepted:\n${r.value.output}`);
  return r.error.message;
}

describe('traceroute -m', () => {
  it("refuses 0, -1, abc and 100000 as busybox traceroute does in a pod", () => {
    expect(error(POD, 'traceroute -m 0 10.42.1.9')).toBe('traceroute: number 0 is not in 1..255 range');
    expect(error(POD, 'traceroute -m -1 10.42.1.9')).toBe("traceroute: invalid number '-1'");
    expect(error(POD, 'traceroute -m abc 10.42.1.9')).toBe("traceroute: invalid number 'abc'");
    expect(error(POD, 'traceroute -m 100000 10.99.0.7')).toBe('traceroute: number 100000 is not in 1..255 range');
  });

  it('refuses them as Linux traceroute 2.1 does on a host', () => {
    expect(error('master', 'traceroute -m 0 10.42.1.9')).toBe('first hop out of range');
    expect(error('master', 'traceroute -m -1 10.42.1.9')).toBe('max hops cannot be more than 255');
    expect(error('master', 'traceroute -n -m abc 10.42.1.9')).toBe("Cannot handle `-m' option with arg `abc' (argc 3)");
    expect(error('master', 'traceroute -m 256 10.42.1.9')).toBe('max hops cannot be more than 255');
  });

  it('runs at most 255 probes: -m 255 to an unrouted address ends, hops listed up to 255 at most', () => {
    const r = execCommand(c, POD, 'traceroute -n -m 255 10.99.0.7');
    expect(r.ok).toBe(true);
    const hops = r.ok ? r.value.output.trimEnd().split('\n').slice(1) : [];
    expect(hops.length).toBeLessThanOrEqual(255);
    expect(r.ok && r.value.output).toContain('255 hops max');
  });
});

describe('ping -c / -s', () => {
  it("refuses 1e2 with iputils' words on a host and busybox's in a pod", () => {
    expect(error('master', 'ping -c 1e2 10.42.1.9')).toBe("ping: invalid argument: '1e2'");
    expect(error(POD, 'ping -c 1e2 10.42.1.9')).toBe("ping: invalid number '1e2'");
    expect(error('master', 'ping -c 0 10.42.1.9')).toBe("ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807");
    expect(error(POD, 'ping -s 70000 10.42.1.9')).toBe('ping: number 70000 is not in 0..65535 range');
  });

  it('bounds the echoes one command sends, saying so (busybox -c 0 means forever)', () => {
    expect(error(POD, 'ping -c 0 10.42.1.9')).toBe('ping: -c 0 (until interrupted): this lab sends at most 1000 echo requests per command');
    expect(error('master', 'ping -c 100000 10.42.1.9')).toBe('ping: -c 100000: this lab sends at most 1000 echo requests per command');
  });
});

describe('tables and keys named by the user', () => {
  it("iptables-save -t bogus|__proto__|constructor: libiptc's error, no TypeError", () => {
    for (const t of ['bogus', '__proto__', 'constructor']) {
      expect(error('master', `iptables-save -t ${t}`)).toBe('iptables-save v1.8.7 (legacy): Cannot initialize: Table does not exist (do you need to insmod?)');
    }
    expect(error('master', 'iptables-save -t')).toBe("iptables-save: option requires an argument -- 't'\nLook at manual page `iptables-save.8' for more information.");
    const nat = execCommand(c, 'master', 'iptables-save -t nat');
    expect(nat.ok && nat.value.output.startsWith('*nat\n')).toBe(true);
  });

  it('sysctl -w __proto__=1 is a missing /proc/sys file, and sets nothing', () => {
    expect(error('master', 'sysctl -w __proto__=1')).toBe('sysctl: cannot stat /proc/sys/__proto__: No such file or directory');
    expect(error('master', 'sysctl constructor')).toBe('sysctl: cannot stat /proc/sys/constructor: No such file or directory');
    const r = execCommand(c, 'master', 'sysctl net.ipv4.ip_forward');
    expect(r.ok && r.value.output).toBe('net.ipv4.ip_forward = 1\n');
  });

  it("kubectl delete pod with no name: kubectl's own error, not pods \"undefined\"", () => {
    expect(error('master', 'kubectl delete pod')).toBe('error: resource(s) were provided, but no name, label selector, or --all flag specified');
  });

  it('grep -A -5 in a pipe is refused as GNU grep refuses it', () => {
    expect(error('master', 'iptables-save -t nat | grep -A -5 KUBE')).toBe('grep: -5: invalid context length argument');
  });
});

describe('control characters', () => {
  it('are escaped in output and errors, never written raw', () => {
    expect(escapeControl('pod\x1b[2J\x07\u009b')).toBe('pod\\x1b[2J\\x07\\u009b');
    expect(escapeControl('a\tb\n')).toBe('a\tb\n');
    const msg = error('no-such\x1b]0;owned\x07', 'ip route');
    expect(msg).not.toMatch(/[\x1b\x07]/);
    expect(msg).toContain('no-such\\x1b]0;owned\\x07');
  });
});
