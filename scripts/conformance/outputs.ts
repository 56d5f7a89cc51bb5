/**
 * Parsers for what the tools print, the model's renderings and the real programs alike, into the
 * facts the suite compares. Both sides go through the same parser, so a difference in a fact is
 * a difference in behaviour, not in formatting (formatting is compared by the state probes, line
 * for line).
 */

export interface PingFacts {
  readonly transmitted: number;
  readonly received: number;
  /** TTL of each reply, in order */
  readonly ttls: readonly number[];
  /** `From A … <what>` error lines (iputils and busybox name them alike), as "A what" */
  readonly errors: readonly string[];
  /** a send that failed locally (`message too long`): iputils adds the MTU, busybox does not */
  readonly localErrors: readonly string[];
}

/** iputils `ping` and busybox `ping` output. */
export function parsePing(text: string): PingFacts {
  const ttls: number[] = [];
  const errors: string[] = [];
  const localErrors: string[] = [];
  let transmitted = 0;
  let received = 0;
  for (const line of text.split('\n')) {
    const reply = /bytes from [\d.]+: (?:icmp_)?seq=\d+ ttl=(\d+)/.exec(line);
    if (reply) ttls.push(Number(reply[1]));
    const from = /^From ([\d.]+)(?: icmp_seq=\d+| seq=\d+)? (.+)$/.exec(line.trim());
    if (from) errors.push(`${from[1]} ${from[2]!.trim()}`);
    // iputils: `ping: local error: message too long, mtu=1450`; busybox: `ping: sendto: Message too long`
    const local = /^ping: (?:local error: |sendmsg: |sendto: )(.+?)(?:, mtu=\d+)?$/.exec(line.trim());
    if (local) localErrors.push(local[1]!.toLowerCase());
    const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(line);
    if (stats) {
      transmitted = Number(stats[1]);
      received = Number(stats[2]);
    }
  }
  return { transmitted, received, ttls, errors: [...new Set(errors)], localErrors: [...new Set(localErrors)] };
}

/** One hop of traceroute output: the addresses that answered (`*` for silence), in order. */
export interface Hop {
  readonly ttl: number;
  readonly answers: readonly string[];
}

/** Modern traceroute (`-n`) and busybox traceroute output. */
export function parseTraceroute(text: string): Hop[] {
  const hops: Hop[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const answers: string[] = [];
    let last = '*';
    for (const tok of m[2]!.split(/\s+/)) {
      if (tok === '*') answers.push('*');
      else if (/^\d+\.\d+\.\d+\.\d+$/.test(tok)) last = tok;
      else if (tok === 'ms') answers.push(last);
    }
    hops.push({ ttl: Number(m[1]), answers });
  }
  return hops;
}

/** A conntrack entry's fields (`conntrack -L` line). */
export interface CtEntry {
  readonly proto: string;
  readonly timeout: number;
  readonly state?: string;
  readonly orig: Record<string, string>;
  readonly reply: Record<string, string>;
  readonly unreplied: boolean;
  readonly assured: boolean;
  readonly mark: string;
}

export function parseConntrack(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length < 4 || !/^\d+$/.test(words[1] ?? '')) continue;
    const e = { proto: words[0]!, timeout: Number(words[2]), state: undefined as string | undefined, orig: {} as Record<string, string>, reply: {} as Record<string, string>, unreplied: false, assured: false, mark: '' };
    let side = e.orig;
    for (const w of words.slice(3)) {
      if (/^[A-Z_]+$/.test(w)) e.state = w;
      else if (w === '[UNREPLIED]') e.unreplied = true;
      else if (w === '[ASSURED]') e.assured = true;
      else if (w.startsWith('mark=')) e.mark = w.slice(5);
      else if (w.includes('=') && !w.startsWith('use=')) {
        const [k, v] = w.split('=') as [string, string];
        if (k in side) side = e.reply;
        side[k] = v;
      }
    }
    out.push(e);
  }
  return out;
}

/** `iptables-save -c` rule counters: `table chain rule-text` → [pkts, bytes] (first of equal texts wins a suffix). */
export function parseSaveCounters(text: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const r = /^\[(\d+):(\d+)\] (-A (\S+) .*)$/.exec(line);
    if (!r) continue;
    let key = `${table} ${r[3]}`;
    for (let n = 2; m.has(key); n++) key = `${table} ${r[3]} #${n}`;
    m.set(key, [Number(r[1]), Number(r[2])]);
  }
  return m;
}

/** One device of `ip -d link` (or `ip link`): its header words and every `key value` it prints. */
export interface LinkFacts {
  readonly ifindex: number;
  readonly name: string;
  /** `@if5`, `@NONE`, or '' */
  readonly at: string;
  readonly flags: string;
  readonly fields: ReadonlyMap<string, string>;
  /** the kind line's first word: veth, bridge, vxlan, bridge_slave … */
  readonly kinds: readonly string[];
}

const LINK_KEYS = new Set([
  'mtu', 'qdisc', 'master', 'state', 'mode', 'group', 'qlen', 'link/ether', 'link/loopback', 'brd', 'link-netns', 'link-netnsid', 'promiscuity', 'allmulti', 'minmtu', 'maxmtu',
  'id', 'local', 'dev', 'srcport', 'dstport', 'ttl', 'ageing', 'addrgenmode', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'gso_max_segs', 'tso_max_size', 'tso_max_segs', 'gro_max_size',
  'parentbus', 'parentdev', 'priority', 'cost', 'hairpin', 'guard', 'root_block', 'fastleave', 'learning', 'flood', 'port_id', 'port_no', 'designated_port', 'designated_cost',
  'designated_bridge', 'designated_root', 'proxy_arp', 'proxy_arp_wifi', 'mcast_router', 'mcast_fast_leave', 'mcast_flood', 'bcast_flood', 'mcast_to_unicast', 'neigh_suppress',
  'group_fwd_mask', 'group_fwd_mask_str', 'vlan_tunnel', 'isolated', 'locked', 'forward_delay', 'hello_time', 'max_age', 'ageing_time', 'stp_state', 'vlan_filtering', 'vlan_protocol',
  'bridge_id', 'root_port', 'root_path_cost', 'topology_change', 'topology_change_detected', 'vlan_default_pvid', 'vlan_stats_enabled', 'vlan_stats_per_port', 'group_address',
  'mcast_snooping', 'no_linklocal_learn', 'mcast_vlan_snooping', 'mcast_query_use_ifaddr', 'mcast_querier', 'mcast_hash_elasticity', 'mcast_hash_max', 'mcast_last_member_count',
  'mcast_startup_query_count', 'mcast_last_member_interval', 'mcast_membership_interval', 'mcast_querier_interval', 'mcast_query_interval', 'mcast_query_response_interval',
  'mcast_startup_query_interval', 'mcast_stats_enabled', 'mcast_igmp_version', 'mcast_mld_version', 'nf_call_iptables', 'nf_call_ip6tables', 'nf_call_arptables',
]);
/** words that stand alone (flags of the kind line) */
const LINK_FLAGS = new Set(['nolearning', 'learning', 'udpcsum', 'noudpcsum', 'noudp6zerocsumtx', 'noudp6zerocsumrx', 'udp6zerocsumtx', 'udp6zerocsumrx']);
const LINK_KINDS = new Set(['veth', 'bridge', 'vxlan', 'bridge_slave', 'dummy']);

export function parseLinks(text: string): LinkFacts[] {
  const out: LinkFacts[] = [];
  for (const block of text.split(/\n(?=\d+: )/)) {
    const head = /^(\d+): ([^:@\s]+)(@[^:\s]+)?: <([^>]*)>/.exec(block);
    if (!head) continue;
    const fields = new Map<string, string>();
    const kinds: string[] = [];
    const lines = block.slice(head[0].length).split('\n');
    lines.forEach((line, n) => {
      const words = line.trim().split(/\s+/).filter(Boolean);
      let prefix = '';
      let i = 0;
      // `ip -d` prints each kind's options on a line of its own that starts with the kind
      if (n > 0 && LINK_KINDS.has(words[0] ?? '')) {
        kinds.push(words[0]!);
        prefix = words[0] === 'bridge_slave' ? 'slave.' : '';
        i = 1;
      }
      for (; i < words.length; i++) {
        const w = words[i]!;
        if (LINK_FLAGS.has(w)) fields.set(`${prefix}${w}`, 'yes');
        else if (w === 'srcport') {
          fields.set(`${prefix}${w}`, `${words[i + 1]} ${words[i + 2]}`);
          i += 2;
        } else if (LINK_KEYS.has(w)) {
          // the address family words (addrgenmode …) and queue facts follow the last kind line
          const key = ['addrgenmode', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'gso_max_segs', 'tso_max_size', 'tso_max_segs', 'gro_max_size', 'parentbus', 'parentdev'].includes(w) ? w : `${prefix}${w}`;
          fields.set(key, words[i + 1] ?? '');
          i++;
        }
      }
    });
    out.push({ ifindex: Number(head[1]), name: head[2]!, at: head[3] ?? '', flags: head[4]!, fields, kinds });
  }
  return out;
}
