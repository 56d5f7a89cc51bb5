/**
 * The reviewed list of differences between the model and the kernel that the suite accepts,
 * each with its reason. A disagreement not listed here fails the suite. The goal is an empty
 * list: an entry is a debt, or a difference between this test machine and the nodes the model
 * describes (not between the model and Linux).
 */
export interface KnownDifference {
  readonly probe: string;
  /** which facts of the probe it covers */
  readonly fact: RegExp;
  /** where it applies (namespace or flow); absent: everywhere */
  readonly where?: RegExp;
  /** the values it covers on each side; absent: any */
  readonly model?: RegExp;
  readonly kernel?: RegExp;
  readonly reason: string;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    probe: 'iptables -nvL -t filter',
    fact: /^prot column$/,
    reason:
      "a tool version, not the kernel: this machine's iptables 1.8.9 prints the protocol as a number under -n (a change 1.8.10 reverted); the seed's output and the model print the name. The suite puts the name back and compares the rest of each line byte for byte",
  },
  {
    probe: 'iptables-save',
    fact: /^version in the stamp$/,
    reason: "a tool version: the model's nodes run iptables 1.8.7 (nf_tables), as the seed's output shows (protocol names under -n); this machine has Debian 12's 1.8.9",
  },
  {
    probe: 'iptables -nvL -t nat',
    fact: /^prot column$/,
    reason: 'as for the filter table: iptables 1.8.9 prints protocol numbers under -n',
  },
  {
    probe: 'conntrack -L',
    fact: /^TCP state after the close$/,
    where: /^client → NodePort: /,
    model: /^TIME_WAIT$/,
    kernel: /^CLOSE$/,
    reason:
      "a race in the real lab, not yet explained: after the TCP close (modelled since the connect flow sends FIN, ACK, FIN, ACK) the kernel's entries end in TIME_WAIT as the model's do, but in 1-2 of the ~110 client → NodePort connections of a run (a different cluster each run, under load average 14-20; not reproduced when the cluster was rerun alone) the kernel's entry ends in CLOSE, which nf_conntrack_proto_tcp.c's table reaches only on a RST: some segment after the close was answered with a reset. The likeliest cause was the suite's own client closing its socket before the server's reply and FIN had all arrived (data after close() draws a RST); the client now reads to the server's FIN first, and the next full run (27 clusters, in CI) did not see it. Kept until more runs confirm it gone; if it is seen again, capture the client's segments",
  },
  {
    probe: 'ip neigh (learned)',
    fact: /^\d+\.\d+\.\d+\.\d+ dev eth0 lladdr ee:ee:ee:ee:ee:ee resolved$/,
    model: /^\(absent\)$/,
    reason:
      "a model gap, timer-driven: a Calico pod learns its node's address (with the cali veth's MAC) from the unicast ARP probe the node sends when its entry for the pod, learned STALE from the pod's own request for 169.254.1.1, has sat in DELAY for delay_first_probe_time (5 s) without a confirmation (neigh_timer_handler → arp_solicit; a local TCP connection to the pod confirms it instead). Whether that happens during the run depends on wall-clock time and on the kernel's own endpoint draws (the same seed-calico cluster showed the entry in 5 of 6 runs); the model has no NUD timers (an entry is REACHABLE or STALE), so it learns the node only from a broadcast request, as both do when the node had no entry",
  },
];
