/** Start-up behaviour: loopback-only binding, flag validation, token file creation. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearer, makeTempDir, makeToken, request, runAgentToExit, startAgent } from './helpers';

describe('binding', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10'])(
    'refuses --host %s without TIDEMARK_AGENT_TOKEN (exit 2, says why)',
    async (host) => {
      const dir = makeTempDir();
      const { code, output } = await runAgentToExit([
        '--host',
        host,
        '--port',
        '0',
        '--token-file',
        path.join(dir, 't')
      ]);
      expect(code).toBe(2);
      expect(output).toMatch(/not a loopback address/);
      expect(output).toMatch(/TIDEMARK_AGENT_TOKEN/);
    }
  );

  it('binds a non-loopback address when the token is set explicitly', async () => {
    const agent = await startAgent({ args: ['--host', '0.0.0.0'] });
    try {
      expect(agent.output()).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+/);
      const res = await request({ port: agent.port, headers: bearer(agent.token) });
      expect(res.status).toBe(200);
    } finally {
      await agent.stop();
    }
  });

  it('binds 127.0.0.1 by default', async () => {
    const agent = await startAgent();
    try {
      expect(agent.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await agent.stop();
    }
  });
});

describe('flags', () => {
  it.each([
    [['--interval', '50'], /interval must be between 100/],
    [['--interval', 'fast'], /whole number/],
    [['--port', '70000'], /port must be between/],
    [['--origin', 'http://127.0.0.1:4173/'], /exact origin/],
    [['--origin', 'not a url'], /not a URL/],
    [['--bogus'], /Unknown option/]
  ])('%j → exit 2', async (args, message) => {
    const { code, output } = await runAgentToExit(args as string[]);
    expect(code).toBe(2);
    expect(output).toMatch(message);
  });

  it('--help documents every flag', async () => {
    const { code, output } = await runAgentToExit(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--port',
      '--origin',
      '--interval',
      '--host',
      '--buffer',
      '--buffer-seconds',
      '--token-file'
    ]) {
      expect(output).toContain(flag);
    }
  });

  it('refuses a short env token', async () => {
    const { code, output } = await runAgentToExit(['--port', '0'], {
      TIDEMARK_AGENT_TOKEN: 'short'
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/shorter than/);
    expect(output).not.toContain('listening');
  });
});

describe('pairing token file', () => {
  it('creates a 0600 file with 32 random bytes base64url, prints it once, reuses it', async () => {
    const file = path.join(makeTempDir(), 'nested', 'agent-token');
    const first = await startAgent({ token: null, tokenFile: file });
    let token: string;
    try {
      token = first.token;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(readFileSync(file, 'utf8').trim()).toBe(token);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o077).toBe(0);
      const ok = await request({ port: first.port, headers: bearer(token) });
      expect(ok.status).toBe(200);
      // A request that puts the token in the URL is refused and does not get it logged.
      await request({ port: first.port, path: `/v1/status?token=${token}` });
      await new Promise((r) => setTimeout(r, 100));
      expect(first.output().split(token).length - 1).toBe(1);
    } finally {
      await first.stop();
    }
    const second = await startAgent({ token: null, tokenFile: file });
    try {
      expect(second.token).toBe(token);
    } finally {
      await second.stop();
    }
  });

  it('prefers TIDEMARK_AGENT_TOKEN over the file', async () => {
    const file = path.join(makeTempDir(), 'agent-token');
    const envToken = makeToken();
    const agent = await startAgent({ token: envToken, tokenFile: file });
    try {
      expect((await request({ port: agent.port, headers: bearer(envToken) })).status).toBe(200);
    } finally {
      await agent.stop();
    }
  });
});

describe('shutdown', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('exits 0 on %s', async (signal) => {
    const agent = await startAgent();
    const exited = new Promise<number | null>((r) => agent.proc.on('exit', (code) => r(code)));
    agent.proc.kill(signal);
    expect(await exited).toBe(0);
  });
});
