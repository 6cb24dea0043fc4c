/**
 * The abuse harness at a small scale (issue 19): it runs to its end against a real service
 * process and its figures show the bounds at work. No timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { runAbuse } from './abuse-harness.ts';

describe('abuse harness (small scale)', () => {
  it('runs every phase and the service holds its bounds', async () => {
    const r = await runAbuse({ seconds: 2, sockets: 100, guesses: 30 });
    // Disk: the relay keeps one offer, so the data dir grows by far less than was sent.
    expect(r.disk.requestBytesSent).toBeGreaterThan(0);
    expect(r.disk.dataDirGrowthBytes).toBeLessThan(r.disk.requestBytesSent);
    // Connections: one address keeps at most the per-address cap (64 by default).
    expect(r.connections.keptOpen).toBeLessThanOrEqual(64);
    expect(r.connections.closedByService).toBeGreaterThanOrEqual(100 - 64);
    expect(r.connections.health.n).toBeGreaterThan(0);
    // CPU: creates went through, and /healthz answered meanwhile.
    expect(r.cpu.statuses['201'] ?? 0).toBeGreaterThan(0);
    expect(r.cpu.health.n).toBeGreaterThan(0);
    // Login: at most 5 guesses reached the password check; the known device still logs in.
    expect(r.login.passwordChecked).toBeLessThanOrEqual(5);
    expect(r.login.knownDeviceLogin).toBe(200);
  }, 240_000);
});
