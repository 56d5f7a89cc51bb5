import { describe, expect, it } from 'vitest';
import { base32, sha256 } from '../digest.ts';
import { portProtoHash, servicePortEndpointChainName } from './hash.ts';

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sha256', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(hex(sha256(utf8('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('hashes inputs that need two padding blocks', () => {
    expect(hex(sha256(utf8('a'.repeat(1000))))).toBe('41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3');
  });
});

describe('base32', () => {
  it('follows the RFC 4648 test vectors, padding included', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ];
    for (const [input, encoded] of cases) expect(base32(utf8(input))).toBe(encoded);
  });
});

describe('kube-proxy chain names', () => {
  it("hash the seed's service port the way the seed's node shows", () => {
    expect(`KUBE-SVC-${portProtoHash('default/nginx-test:80-80', 'tcp')}`).toBe('KUBE-SVC-7CWUT4JBGBRVUN2L');
    expect(servicePortEndpointChainName('default/nginx-test:80-80', 'tcp', '10.42.1.6:80')).toBe('KUBE-SEP-U2YYZT2C3O6VM4EV');
    expect(servicePortEndpointChainName('default/nginx-test:80-80', 'tcp', '10.42.2.6:80')).toBe('KUBE-SEP-GWUIQWA2TNZI4ESX');
  });

  it("reproduce kube-proxy's own test fixtures (proxier_test.go)", () => {
    expect(portProtoHash('ns1/svc1:p80', 'tcp')).toBe('XPGD46QRK7WJZT7O');
    expect(servicePortEndpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(portProtoHash('ns2/svc2:p80', 'tcp')).toBe('GNZBNJ2PO5MGZ6GT');
    expect(portProtoHash('ns2/svc2:p8080', 'tcp')).toBe('2VJB64SDSIJUP5T6');
    expect(portProtoHash('ns4/svc4:p8082', 'tcp')).toBe('EBDQOQU5SJFXRIL3');
  });

  it('depend on the protocol', () => {
    expect(portProtoHash('default/nginx-test:80-80', 'udp')).not.toBe(portProtoHash('default/nginx-test:80-80', 'tcp'));
  });
});
