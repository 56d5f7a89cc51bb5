import { intToIp } from '../net/addr.ts';
import type { TunUdpProxyState } from '../linux/process.ts';

/**
 * flanneld's udp proxy (flannel pkg/backend/udp/proxy_amd64.c, run_proxy) as a stdlib-only
 * python3 program, so an exported lab's TUN device has a reader on a real kernel. It attaches
 * makes the TUN device as flanneld's ip.OpenTun does (TUNSETIFF, IFF_TUN | IFF_NO_PI, not
 * persistent: the device goes when the process does), binds the UDP socket as newNetwork does
 * (ListenUDP on the external address, once the script has added it), and then does what the C
 * loop does, packet for packet:
 * - tun_to_udp: find_route by the inner destination; none: send_net_unreachable (not about ICMP,
 *   only for a first fragment; TTL 8, from the TUN address, ID 0) written back into the TUN;
 *   else decrement_ttl (0: discarded, no time exceeded) and sendto the next hop;
 * - udp_to_tun: decrement_ttl, write into the TUN.
 * decrement_ttl patches the header checksum as the C does on amd64 (RFC 1624, the 16-bit word
 * loaded little-endian), not by recomputing it.
 */
export const TUN_UDP_PROXY_PY = `import fcntl, os, select, socket, struct, sys, time
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454ca, 0x0001, 0x1000
name, tun_ip, mtu, bind_ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
routes = []
for spec in sys.argv[6:]:
    net, hop = spec.split('=')
    addr, plen = net.split('/')
    host, hport = hop.split(':')
    mask = (0xffffffff << (32 - int(plen))) & 0xffffffff
    routes.append((struct.unpack('!I', socket.inet_aton(addr))[0] & mask, mask, (host, int(hport))))
tun = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(tun, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(600):
    try:
        sock.bind((bind_ip, port))
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit('cannot bind %s:%d' % (bind_ip, port))

def cksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), bytes(b)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def decrement_ttl(p):
    p[8] = (p[8] - 1) & 0xff
    if p[8] == 0:
        return False
    c = p[10] | p[11] << 8
    c = (c + 2 if c >= 0xfffe else c + 1) & 0xffff
    p[10], p[11] = c & 0xff, c >> 8
    return True

def send_net_unreachable(p):
    ihl = (p[0] & 0x0f) * 4
    if ihl >= 60 or p[9] == 1 or struct.unpack('!H', p[6:8])[0] & 0x1fff:
        return
    icmp = bytearray(struct.pack('!BBHI', 3, 0, 0, 0)) + p[:ihl + 8]
    struct.pack_into('!H', icmp, 2, cksum(icmp))
    iph = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 0, 0, 8, 1, 0, socket.inet_aton(tun_ip), bytes(p[12:16])))
    struct.pack_into('!H', iph, 10, cksum(iph))
    os.write(tun, bytes(iph + icmp))

def find_route(dst):
    for net, mask, hop in routes:
        if dst & mask == net:
            return hop
    return None

poll = select.poll()
poll.register(tun, select.POLLIN)
poll.register(sock, select.POLLIN)
while True:
    for fd, _ in poll.poll():
        try:
            if fd == tun:
                p = bytearray(os.read(tun, mtu))
                if len(p) < 20:
                    continue
                hop = find_route(struct.unpack('!I', p[16:20])[0])
                if hop is None:
                    send_net_unreachable(p)
                elif decrement_ttl(p):
                    sock.sendto(p, hop)
            else:
                p = bytearray(sock.recv(mtu))
                if len(p) >= 20 and decrement_ttl(p):
                    os.write(tun, bytes(p))
        except OSError:
            pass
`;

/** The proxy's command line: TUN name, TUN address, buffer size, socket address and port, then `subnet=next-hop:port` per route. */
export function tunUdpProxyArgs(s: TunUdpProxyState): string[] {
  return [s.tun, s.tunIp, String(s.mtu), s.bind, String(s.port), ...s.routes.map((r) => `${intToIp(r.dst.net)}/${r.dst.len}=${r.nextHop}:${r.port}`)];
}
