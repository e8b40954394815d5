// The home-network rule (matchHome), the per-OS probe choice, and the tool runner every probe uses
// (real processes: a missing tool, a failing one, one that hangs, one that floods).

import { describe, expect, it } from 'vitest';
import { runTool } from '../../../../src/main/core/homenet/exec.js';
import { matchHome, probeForPlatform, type NetworkFingerprint } from '../../../../src/main/core/homenet/fingerprint.js';
import { LinuxProbe } from '../../../../src/main/core/homenet/linux.js';
import { MacosProbe } from '../../../../src/main/core/homenet/macos.js';
import { WindowsProbe } from '../../../../src/main/core/homenet/windows.js';
import { HOMENET_TOOL_MAX_OUTPUT_BYTES } from '../../../../src/main/core/limits.js';

const fp = (ssid: string | null, gatewayMac: string | null): NetworkFingerprint => ({ ssid, gatewayMac, gatewayIp: gatewayMac === null ? null : '192.168.1.1', iface: 'wlan0' });

describe('matchHome', () => {
  const wired = { id: 1, ssid: null, gatewayMac: '0a:1b:2c:3d:4e:5f' };
  const wifi = { id: 2, ssid: 'HomeNet', gatewayMac: null };
  const both = { id: 3, ssid: 'Parents', gatewayMac: '02:00:00:00:00:03' };
  const homes = [wired, wifi, both];

  it('matches on the gateway MAC alone (wired, hidden SSID, redacted SSID)', () => {
    expect(matchHome(fp(null, '0a:1b:2c:3d:4e:5f'), homes)).toBe(wired);
    expect(matchHome(fp('Anything', '0a:1b:2c:3d:4e:5f'), homes)).toBe(wired);
  });

  it('matches on the SSID when the home has one, whatever the gateway (new router, mesh)', () => {
    expect(matchHome(fp('HomeNet', 'aa:aa:aa:aa:aa:aa'), homes)).toBe(wifi);
    expect(matchHome(fp('Parents', null), homes)).toBe(both);
    expect(matchHome(fp(null, '02:00:00:00:00:03'), homes)).toBe(both);
  });

  it('compares SSIDs exactly: case, spaces and look-alikes differ', () => {
    expect(matchHome(fp('homenet', null), homes)).toBeNull();
    expect(matchHome(fp('HomeNet ', null), homes)).toBeNull();
    expect(matchHome(fp('HomeNеt', null), homes)).toBeNull(); // Cyrillic е
  });

  it('never matches on unknown values: null is not equal to null', () => {
    expect(matchHome(fp(null, null), homes)).toBeNull();
    expect(matchHome(fp(null, null), [{ ssid: null, gatewayMac: null }])).toBeNull();
    expect(matchHome(fp('Venue', '66:55:44:33:22:10'), homes)).toBeNull();
    expect(matchHome(fp('HomeNet', null), [])).toBeNull();
  });
});

describe('probeForPlatform', () => {
  it('has a probe for Linux, macOS and Windows', () => {
    expect(probeForPlatform('linux')).toBeInstanceOf(LinuxProbe);
    expect(probeForPlatform('darwin')).toBeInstanceOf(MacosProbe);
    expect(probeForPlatform('win32')).toBeInstanceOf(WindowsProbe);
  });

  it('elsewhere says, with E_NET_PROBE, that it cannot read the network', async () => {
    await expect(probeForPlatform('aix').current()).rejects.toMatchObject({ code: 'E_NET_PROBE', message: expect.stringContaining('on aix') });
  });
});

describe('runTool', () => {
  it('answers null for a tool that is not installed', async () => {
    expect(await runTool('inswarm-no-such-tool', [])).toBeNull();
  });

  it('returns the exit status and output of a tool that fails (arp "no entry" exits 1)', async () => {
    expect(await runTool('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes arguments without a shell', async () => {
    expect((await runTool('printf', ['%s', '$(echo no); `x`']))!.stdout).toBe('$(echo no); `x`');
  });

  it('stops a tool that hangs, with E_NET_PROBE', async () => {
    await expect(runTool('sleep', ['30'])).rejects.toMatchObject({ code: 'E_NET_PROBE', message: expect.stringContaining('did not answer') });
  });

  it('stops a tool that prints more than the cap, with E_NET_PROBE', async () => {
    await expect(runTool('head', ['-c', String(HOMENET_TOOL_MAX_OUTPUT_BYTES + 1), '/dev/zero'])).rejects.toMatchObject({ code: 'E_NET_PROBE', message: expect.stringContaining('printed more than') });
  });
});
