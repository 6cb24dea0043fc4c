/** The invitation link (issue 15): encode/decode, and every damaged link refused in words. */
import { describe, expect, it } from 'vitest';
import {
  decodeInvitation,
  encodeInvitation,
  InvalidInvitationError,
  type Invitation,
} from '../../party-app/invite.ts';

const inv: Invitation = {
  oracleUrl: 'https://oracle.example.com',
  contractId: '0123456789abcdef',
  role: 'freelancer',
  token: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl',
  oraclePublicKey: 'a'.repeat(64),
  termsHash: 'b'.repeat(64),
};

const fragmentJson = (link: string) =>
  JSON.parse(Buffer.from(link.split('#v1.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
const withJson = (json: unknown, base = 'https://oracle.example.com/invite') =>
  `${base}#v1.${Buffer.from(JSON.stringify(json)).toString('base64url')}`;

describe('invitation links', () => {
  it('round-trips, with everything in the fragment', () => {
    const link = encodeInvitation(inv);
    expect(link.startsWith('https://oracle.example.com/invite#v1.')).toBe(true);
    expect(new URL(link).search).toBe('');
    expect(fragmentJson(link)).toEqual({
      o: inv.oracleUrl,
      c: inv.contractId,
      r: 'freelancer',
      t: inv.token,
      k: inv.oraclePublicKey,
      h: inv.termsHash,
    });
    expect(decodeInvitation(link)).toEqual(inv);
    // Pasted with spaces around and a line break inside (as a mail client wraps it).
    expect(decodeInvitation(`  ${link.slice(0, 50)}\n${link.slice(50)} `)).toEqual(inv);
    // A trailing slash on the oracle URL is dropped.
    expect(decodeInvitation(encodeInvitation({ ...inv, oracleUrl: `${inv.oracleUrl}/` }))).toEqual(
      inv,
    );
  });

  it('refuses damaged and foreign links in words', () => {
    const link = encodeInvitation(inv);
    const bad = (l: string, words: RegExp) => {
      expect(() => decodeInvitation(l)).toThrow(InvalidInvitationError);
      expect(() => decodeInvitation(l)).toThrow(words);
    };
    bad('https://oracle.example.com/invite', /no invitation after #/);
    bad('https://oracle.example.com/invite#v2.abc', /not a Verdict invitation/);
    bad(link.slice(0, link.length - 20), /damaged/);
    bad(`${link}!`, /damaged/);
    const json = fragmentJson(link);
    bad(withJson({ ...json, r: 'arbiter' }), /damaged/);
    bad(withJson({ ...json, h: 'zz' }), /damaged/);
    bad(withJson({ ...json, extra: 1 }), /damaged/);
    bad(withJson({ ...json, o: 'javascript:alert(1)' }), /damaged/);
    // The fragment names another oracle than the link points at.
    bad(withJson(json, 'https://evil.example/invite'), /points at https:\/\/evil.example\/invite/);
    bad('x'.repeat(5000), /too long/);
  });

  it('refuses to encode what is not an invitation', () => {
    expect(() => encodeInvitation({ ...inv, termsHash: 'nope' })).toThrow(RangeError);
  });
});
