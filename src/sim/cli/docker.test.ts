import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { dockerCommand, executeTemplate, humanDuration, tabwrite } from './docker.ts';

function cluster(): Cluster {
  const c = loadScenario({ preset: 'docker', modes: {}, seed: 1, before: [] });
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
}

const c = cluster();
const d = c.docker.daemons[0]!;
const idOf = (name: string) => d.containers.find((x) => x.spec.name === name)!.id;

/** `line` split on spaces, or the argv itself when a word holds spaces (templates) */
function docker(line: string | string[], where = 'docker-host'): string {
  const ns = c.hosts.get(where) ?? c.containers.get(where)!;
  const r = dockerCommand(c, ns, typeof line === 'string' ? line.split(' ').filter(Boolean) : line);
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

function dockerError(line: string, where = 'docker-host'): string {
  const ns = c.hosts.get(where) ?? c.containers.get(where)!;
  const r = dockerCommand(c, ns, line.split(' ').filter(Boolean));
  if (r.ok) throw new Error(`expected an error, got ${r.output}`);
  return r.error;
}

describe('docker ps', () => {
  const out = docker('ps').split('\n');

  it('has docker/cli\'s columns, padded by its tabwriter (minwidth 10, padding 3)', () => {
    expect(out[0]).toBe('CONTAINER ID   IMAGE                       COMMAND                  CREATED          STATUS          PORTS                  NAMES');
  });

  it('lists the newest container first, with the published port and the truncated, quoted command', () => {
    expect(out.slice(1, -1).map((l) => l.split(/\s{3,}/).at(-1))).toEqual(['batch', 'hostnet', 'log-shipper', 'nginx', 'nginx-pod', 'sidecar', 'db', 'web']);
    expect(out.find((l) => l.endsWith('   web'))).toBe(`${idOf('web').slice(0, 12)}   nginx:1.25                  "/docker-entrypoint.…"   3 hours ago      Up 3 hours      0.0.0.0:8080->80/tcp   web`);
    expect(out.find((l) => l.endsWith('   db'))).toContain('"docker-entrypoint.s…"   3 hours ago      Up 3 hours      5432/tcp               db');
    expect(out.find((l) => l.endsWith('   hostnet'))).toContain('45 minutes ago   Up 45 minutes                          hostnet');
  });

  it('-q prints the short IDs, --no-trunc the full ones', () => {
    expect(docker('ps -q').split('\n')[0]).toBe(idOf('batch').slice(0, 12));
    expect(docker('ps -aq --no-trunc').split('\n').at(-2)).toBe(idOf('web'));
  });

  it('refuses an unknown flag as pflag does', () => {
    expect(dockerError('ps -z')).toBe("unknown shorthand flag: 'z' in -z\nSee 'docker ps --help'.");
  });
});

describe('docker inspect', () => {
  const web = JSON.parse(docker('inspect web'))[0];
  const sidecar = JSON.parse(docker('inspect sidecar'))[0];
  const hostnet = JSON.parse(docker('inspect hostnet'))[0];
  const batch = JSON.parse(docker('inspect batch'))[0];
  const db = JSON.parse(docker('inspect db'))[0];

  it('bridge: IPAddress, Gateway, MacAddress at the top and under Networks.bridge', () => {
    expect(web.NetworkSettings).toMatchObject({ IPAddress: '172.17.0.2', IPPrefixLen: 16, Gateway: '172.17.0.1', MacAddress: '02:42:ac:11:00:02' });
    expect(web.NetworkSettings.Networks.bridge).toMatchObject({ IPAddress: '172.17.0.2', Gateway: '172.17.0.1', MacAddress: '02:42:ac:11:00:02', NetworkID: d.networks.find((n) => n.name === 'bridge')!.id });
    expect(web.NetworkSettings.Ports).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
    expect(web.NetworkSettings.SandboxKey).toMatch(/^\/var\/run\/docker\/netns\/[0-9a-f]{12}$/);
    expect(web.HostConfig.NetworkMode).toBe('bridge');
  });

  it('keeps the daemon\'s field order and 4-space indentation', () => {
    const text = docker('inspect web');
    expect(text.startsWith('[\n    {\n        "Id": "')).toBe(true);
    expect(Object.keys(web.NetworkSettings)).toEqual(['Bridge', 'SandboxID', 'HairpinMode', 'LinkLocalIPv6Address', 'LinkLocalIPv6PrefixLen', 'Ports', 'SandboxKey', 'SecondaryIPAddresses', 'SecondaryIPv6Addresses', 'EndpointID', 'Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'MacAddress', 'Networks']);
  });

  it('container mode: NetworkMode container:<full id>, no network settings of its own', () => {
    expect(sidecar.HostConfig.NetworkMode).toBe(`container:${idOf('web')}`);
    expect(sidecar.NetworkSettings).toMatchObject({ IPAddress: '', SandboxKey: '', Networks: {} });
  });

  it('host mode: the host network, empty addresses, the default sandbox', () => {
    expect(hostnet.HostConfig.NetworkMode).toBe('host');
    expect(hostnet.NetworkSettings.IPAddress).toBe('');
    expect(hostnet.NetworkSettings.SandboxKey).toBe('/var/run/docker/netns/default');
    expect(Object.keys(hostnet.NetworkSettings.Networks)).toEqual(['host']);
    expect(hostnet.NetworkSettings.Networks.host.IPAddress).toBe('');
  });

  it('none: the none network, no address', () => {
    expect(Object.keys(batch.NetworkSettings.Networks)).toEqual(['none']);
    expect(batch.NetworkSettings.Networks.none.IPAddress).toBe('');
  });

  it('a user network: the address only under Networks.<name>, with the short ID as alias', () => {
    expect(db.NetworkSettings.IPAddress).toBe('');
    expect(db.NetworkSettings.Networks.backend).toMatchObject({ IPAddress: '172.18.0.2', Gateway: '172.18.0.1', Aliases: [idOf('db').slice(0, 12)] });
    expect(db.NetworkSettings.Ports).toEqual({ '5432/tcp': null });
  });

  it('the pod\'s containers carry kubelet\'s labels', () => {
    expect(JSON.parse(docker('inspect nginx-pod'))[0].Config.Labels).toEqual({ 'io.kubernetes.container.name': 'POD', 'io.kubernetes.pod.name': 'nginx-pod' });
    expect(JSON.parse(docker('inspect nginx'))[0].Config.Labels['io.kubernetes.container.name']).toBe('nginx');
  });

  it('-f with the Go template one-liners from Docker\'s docs', () => {
    expect(docker('inspect -f {{.NetworkSettings.IPAddress}} web')).toBe('172.17.0.2\n');
    expect(docker('inspect --format={{range.NetworkSettings.Networks}}{{.IPAddress}}{{end}} db web')).toBe('172.18.0.2\n172.17.0.2\n');
    expect(docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web'])).toBe('{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}\n');
    expect(docker(['inspect', '-f', '{{(index .NetworkSettings.Networks "backend").MacAddress}}', 'db'])).toBe('02:42:ac:12:00:02\n');
    expect(docker(['inspect', '--format', 'ip={{.NetworkSettings.IPAddress}} mode={{.HostConfig.NetworkMode}}', 'hostnet'])).toBe('ip= mode=host\n');
  });

  it('an unknown object: `[]` and docker\'s error', () => {
    expect(dockerError('inspect ghost')).toBe('[]\nError: No such object: ghost');
    expect(dockerError('network inspect ghost')).toBe('[]\nError response from daemon: network ghost not found');
  });
});

describe('docker network, docker port', () => {
  it('network ls: bridge, host, none and the user network, by name', () => {
    const rows = docker('network ls').split('\n');
    expect(rows[0]).toBe('NETWORK ID     NAME      DRIVER    SCOPE');
    expect(rows.slice(1, -1).map((r) => r.split(/\s+/).slice(1).join(' '))).toEqual(['backend bridge local', 'bridge bridge local', 'host host local', 'none null local']);
  });

  it('network inspect bridge: subnet, gateway, the default bridge\'s options, its containers by ID', () => {
    const n = JSON.parse(docker('network inspect bridge'))[0];
    expect(n.IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
    expect(n.Options['com.docker.network.bridge.name']).toBe('docker0');
    // encoding/json sorts the map by container ID
    expect(Object.keys(n.Containers)).toEqual([idOf('web'), idOf('nginx-pod')].sort());
    expect(n.Containers[idOf('web')]).toEqual({ Name: 'web', EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/), MacAddress: '02:42:ac:11:00:02', IPv4Address: '172.17.0.2/16', IPv6Address: '' });
    expect(n.Containers[idOf('nginx-pod')].IPv4Address).toBe('172.17.0.3/16');
  });

  it('network inspect backend: its br- bridge has the subnet, db is in it', () => {
    const n = JSON.parse(docker('network inspect backend'))[0];
    expect(n.IPAM).toEqual({ Driver: 'default', Options: {}, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] });
    expect(Object.values(n.Containers)).toEqual([expect.objectContaining({ Name: 'db', IPv4Address: '172.18.0.2/16' })]);
  });

  it('port: the mapping of a published port', () => {
    expect(docker('port web')).toBe('80/tcp -> 0.0.0.0:8080\n');
    expect(docker('port web 80')).toBe('0.0.0.0:8080\n');
    expect(dockerError('port web 81')).toBe("Error: No public port '81/tcp' published for web");
  });

  it('only a Docker host has the CLI and the daemon', () => {
    expect(dockerError('ps', 'web')).toBe('docker: command not found');
    expect(dockerError('ps', 'client')).toBe('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    expect(dockerError('frobnicate')).toBe("docker: 'frobnicate' is not a docker command.\nSee 'docker --help'");
  });
});

describe('docker/cli building blocks', () => {
  it('units.HumanDuration', () => {
    expect([0.5, 1, 59, 60, 119, 3599, 3600, 5400, 7200, 47 * 3600, 48 * 3600, 14 * 86400, 60 * 86400, 800 * 86400].map(humanDuration)).toEqual([
      'Less than a second',
      '1 second',
      '59 seconds',
      'About a minute',
      'About a minute',
      '59 minutes',
      'About an hour',
      '2 hours',
      '2 hours',
      '47 hours',
      '2 days',
      '2 weeks',
      '2 months',
      '2 years',
    ]);
  });

  it('tabwriter: minwidth 10, padding 3, last column unpadded', () => {
    expect(tabwrite([['A', 'LONGER-HEADER', 'Z'], ['x', 'y', 'last']])).toBe('A         LONGER-HEADER   Z\nx         y               last\n');
  });

  it('templates: errors as text/template words them', () => {
    expect(executeTemplate('{{.Nope}}', { A: 1 })).toEqual({ ok: false, error: "template: :1: can't evaluate field Nope" });
    expect(executeTemplate('{{range .A}}x', { A: [] })).toMatchObject({ ok: false });
    expect(executeTemplate('{{.A}} and {{.B}}', { A: [1, 2], B: { k: 'v' } })).toEqual({ ok: true, text: '[1 2] and map[k:v]' });
  });
});
