// The upgrade gate (src/node/server/upgrade.ts): who is knocking (wire.md §3.1), on which channel
// (§2, §4.3 renaming), with which credentials, and the raw refusal bytes (§3.3, real-client/B-429).
// Requests are real: raw bytes written to a real http server on 127.0.0.1 (port 0), so headers
// reach the functions exactly as Node parses them.
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TOO_MANY_REQUESTS } from '../src/limits.js';
import {
  TOKEN_PROTOCOL_PREFIX,
  checkChannelPath,
  checkCredential,
  defaultOrigins,
  isAgentRequest,
  isLoopbackHost,
  offeredToken,
  originOf,
  parseTarget,
  refuseUpgrade,
  sameSecret,
} from '../src/node/server/upgrade.js';
import { after, before, describe, it } from './harness.js';
import { codeOf } from './support/codes.js';

let server: Server;
let port: number;
const waiting: ((u: { req: IncomingMessage; socket: Duplex }) => void)[] = [];

before(async () => {
  server = createServer((_req, res) => res.end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => waiting.shift()?.({ req, socket }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

/** Sends an upgrade request with `headers`; resolves with the server's view and the client's received bytes. */
async function knock(
  target: string,
  headers: string[],
): Promise<{ req: IncomingMessage; socket: Duplex; reply: Promise<Buffer>; client: Socket }> {
  const arrived = new Promise<{ req: IncomingMessage; socket: Duplex }>((done) => waiting.push(done));
  const client = tcpConnect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const reply = new Promise<Buffer>((done) => {
    client.on('data', (c: Buffer) => chunks.push(c));
    client.on('close', () => done(Buffer.concat(chunks)));
  });
  client.on('error', () => {});
  client.write(
    [
      `GET ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...headers,
      '',
      '',
    ].join('\r\n'),
  );
  const { req, socket } = await arrived;
  return { req, socket, reply, client };
}

/** The server's IncomingMessage for a request with `headers`; the connection is closed again. */
async function requestWith(headers: string[], target = '/chat'): Promise<IncomingMessage> {
  const { req, socket, reply } = await knock(target, headers);
  socket.destroy();
  await reply;
  return req;
}

describe('isAgentRequest (wire.md §3.1)', () => {
  it('recognises the header MMDAgent-EX sends, whatever the case of the header name', async () => {
    expect(isAgentRequest(await requestWith(['X-App-Type: MMDAgent']))).to.equal(true);
    expect(isAgentRequest(await requestWith(['x-app-type: MMDAgent']))).to.equal(true);
  });

  it('takes the value as the real client writes it, case and all; anything else is a controller', async () => {
    for (const header of [
      'X-App-Type: mmdagent',
      'X-App-Type: MMDAGENT',
      'X-App-Type: MMDAgent-EX',
      'X-App-Type: Browser',
    ]) {
      expect(isAgentRequest(await requestWith([header])), header).to.equal(false);
    }
    expect(isAgentRequest(await requestWith([]))).to.equal(false);
  });
});

describe('parseTarget: channel and query (wire.md §2, §4.3)', () => {
  const parsed = (target: string, isAgent: boolean) => {
    const t = parseTarget(target, isAgent);
    return t && { channel: t.channel, query: t.query.toString() };
  };

  it('the channel is the path; the query is parsed apart', () => {
    expect(parsed('/chat', true)).to.deep.equal({ channel: '/chat', query: '' });
    expect(parsed('/', false)).to.deep.equal({ channel: '/', query: '' });
    expect(parsed('/chat?token=abcdefgh&x=1', false)).to.deep.equal({ channel: '/chat', query: 'token=abcdefgh&x=1' });
  });

  it("an agent's 429 rename suffix after the query moves back onto the path", () => {
    expect(parsed('/chat?secret=S-1', true)).to.deep.equal({ channel: '/chat-1', query: 'secret=S' });
    expect(parsed('/chat?secret=S-1-2', true)).to.deep.equal({ channel: '/chat-1-2', query: 'secret=S' });
    expect(parsed('/chat?secret=S-12-3', true)).to.deep.equal({ channel: '/chat-12-3', query: 'secret=S' });
    // Without a query the suffix is already on the path.
    expect(parsed('/chat-1-2', true)).to.deep.equal({ channel: '/chat-1-2', query: '' });
  });

  it('controllers never get that rename: their query stays as written', () => {
    expect(parsed('/chat?token=abc-1', false)).to.deep.equal({ channel: '/chat', query: 'token=abc-1' });
  });

  it('refuses targets that cannot travel as a relay line argument', () => {
    for (const bad of [
      '',
      'chat',
      '/a|b',
      '/a b',
      '/caf\u00e9',
      '/tab\there',
      `/${'a'.repeat(256)}`,
      `/${'a'.repeat(255)}?secret=S-1`,
    ]) {
      expect(parseTarget(bad, true), JSON.stringify(bad)).to.equal(undefined);
    }
    expect(parseTarget(`/${'a'.repeat(255)}`, true)?.channel).to.have.length(256);
  });
});

describe('checkChannelPath and checkCredential (ERR_SERVER_OPTION)', () => {
  it('checkChannelPath returns a usable path and refuses others, naming the option', () => {
    expect(checkChannelPath('/chat-1', 'path')).to.equal('/chat-1');
    for (const bad of ['chat', '/a|b', '/a b', '', '/chat?room=1', '/chat#x'])
      expect(
        codeOf(() => checkChannelPath(bad, 'path')),
        bad,
      ).to.equal('ERR_SERVER_OPTION');
    expect(() => checkChannelPath('chat', 'options.path')).to.throw(/options\.path "chat"/);
  });

  it('checkCredential takes 8 to 256 characters of A-Z a-z 0-9 _ . ~', () => {
    for (const ok of ['abcdefgh', 'A1_.~xyz', 'x'.repeat(256)]) expect(checkCredential(ok, 'token')).to.equal(ok);
  });

  it('checkCredential refuses "-" (the rename suffix, wire.md §4.3), short, long and other characters', () => {
    for (const bad of ['abcd-efgh', 'abcdefg', 'x'.repeat(257), 'abcdefg=', 'abc defgh', 'abcdefgh\n', 'abcdéfgh']) {
      expect(
        codeOf(() => checkCredential(bad, 'token')),
        JSON.stringify(bad),
      ).to.equal('ERR_SERVER_OPTION');
    }
    expect(() => checkCredential('short', 'secret')).to.throw(/^secret must be 8 to 256 characters/);
  });
});

describe('sameSecret', () => {
  it('is true only for the identical string', () => {
    expect(sameSecret('abcdefgh', 'abcdefgh')).to.equal(true);
    expect(sameSecret('abcdefgH', 'abcdefgh')).to.equal(false);
    expect(sameSecret('abcdefgh1', 'abcdefgh')).to.equal(false);
    expect(sameSecret('', 'abcdefgh')).to.equal(false);
  });

  it('a missing value never matches', () => {
    expect(sameSecret(null, 'abcdefgh')).to.equal(false);
    expect(sameSecret(undefined, 'abcdefgh')).to.equal(false);
  });
});

describe('offeredToken', () => {
  it('reads ?token= first, even when a token subprotocol is offered too', async () => {
    const req = await requestWith(['Sec-WebSocket-Protocol: mmdagent-token.fromProtocol']);
    expect(offeredToken(req, new URLSearchParams('token=fromQuery'))).to.deep.equal({ token: 'fromQuery' });
    expect(offeredToken(req, new URLSearchParams('token='))).to.deep.equal({ token: '' });
  });

  it(
    `reads a "${TOKEN_PROTOCOL_PREFIX}<T>" subprotocol among others, ` + 'and names the protocol to answer with',
    async () => {
      const req = await requestWith(['Sec-WebSocket-Protocol: chat, mmdagent-token.Secret_123 , other']);
      expect(offeredToken(req, new URLSearchParams(''))).to.deep.equal({
        token: 'Secret_123',
        protocol: 'mmdagent-token.Secret_123',
      });
    },
  );

  it('no query token and no token subprotocol: nothing offered', async () => {
    expect(offeredToken(await requestWith([]), new URLSearchParams('x=1'))).to.deep.equal({});
    expect(
      offeredToken(await requestWith(['Sec-WebSocket-Protocol: chat, token.abc']), new URLSearchParams('')),
    ).to.deep.equal({});
  });
});

describe('origins', () => {
  it('isLoopbackHost knows localhost, ::1 and 127.0.0.0/8 only', () => {
    for (const host of ['localhost', '::1', '127.0.0.1', '127.1.2.3'])
      expect(isLoopbackHost(host), host).to.equal(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '128.0.0.1',
      '10.0.0.1',
      'localhost.example.com',
      '127.0.0.1.example.com',
      'LOCALHOST',
    ]) {
      expect(isLoopbackHost(host), host).to.equal(false);
    }
  });

  it('originOf writes what browsers send in Origin: IPv6 bracketed, no :80', () => {
    expect(originOf('127.0.0.1', 9001)).to.equal('http://127.0.0.1:9001');
    expect(originOf('::1', 9001)).to.equal('http://[::1]:9001');
    expect(originOf('fe80::1%eth0', 8080)).to.equal('http://[fe80::1%eth0]:8080');
    expect(originOf('localhost', 80)).to.equal('http://localhost');
    expect(originOf('::1', 80)).to.equal('http://[::1]');
  });

  it('defaultOrigins of a loopback bind covers every loopback name, once each', () => {
    expect(defaultOrigins('127.0.0.1', 9001)).to.deep.equal([
      'http://127.0.0.1:9001',
      'http://localhost:9001',
      'http://[::1]:9001',
    ]);
    expect(defaultOrigins('::1', 80)).to.deep.equal(['http://[::1]', 'http://localhost', 'http://127.0.0.1']);
  });

  it('defaultOrigins of a named host is that host only', () => {
    expect(defaultOrigins('192.168.1.5', 8080)).to.deep.equal(['http://192.168.1.5:8080']);
  });

  it('defaultOrigins of a wildcard bind lists localhost and every interface address, IPv6 bracketed', () => {
    for (const wildcard of ['0.0.0.0', '::']) {
      const origins = defaultOrigins(wildcard, 9001);
      expect(origins).to.include.members(['http://localhost:9001', 'http://127.0.0.1:9001']);
      expect(new Set(origins).size).to.equal(origins.length);
      for (const o of origins) expect(o, o).to.match(/^http:\/\/(\[[0-9a-fA-F:.%\w]+\]|[^:[\]]+):9001$/);
    }
  });
});

describe('refuseUpgrade: the raw HTTP answer (wire.md §3.3, §4.3)', () => {
  it(
    `429 is exactly "HTTP/1.1 429 ${TOO_MANY_REQUESTS}" with no body, ` + 'then the socket closes (real-client/B-429)',
    async () => {
      const { socket, reply } = await knock('/chat', ['X-App-Type: MMDAgent']);
      refuseUpgrade(socket, 429, 'ignored for 429');
      expect((await reply).toString('latin1')).to.equal(
        'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
    },
  );

  it('other refusals carry their reason phrase and a plain-text body with its exact length', async () => {
    const body = 'ERR_ORIGIN: origin not allowed';
    const { socket, reply } = await knock('/chat', ['Origin: http://evil.example']);
    refuseUpgrade(socket, 403, body);
    expect((await reply).toString('latin1')).to.equal(
      'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${body.length + 1}\r\n\r\n${body}\n`,
    );
  });

  it('the body length counts UTF-8 bytes; an unlisted status still gets a reason phrase', async () => {
    const { socket, reply } = await knock('/chat', []);
    refuseUpgrade(socket, 418, 'é');
    expect((await reply).toString('utf8')).to.equal(
      'HTTP/1.1 418 Error\r\nConnection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\né\n',
    );
  });

  it('the listed statuses use their standard phrases', async () => {
    const phrases: [number, string][] = [
      [400, 'Bad Request'],
      [401, 'Unauthorized'],
      [404, 'Not Found'],
      [503, 'Service Unavailable'],
    ];
    for (const [status, phrase] of phrases) {
      const { socket, reply } = await knock('/chat', []);
      refuseUpgrade(socket, status, 'x');
      expect((await reply).toString('latin1').split('\r\n')[0]).to.equal(`HTTP/1.1 ${status} ${phrase}`);
    }
  });

  it('a socket that is already gone is destroyed without throwing', async () => {
    const { socket, reply } = await knock('/chat', []);
    socket.destroy();
    await reply;
    expect(() => refuseUpgrade(socket, 429, '')).not.to.throw();
    expect(socket.destroyed).to.equal(true);
  });
});
