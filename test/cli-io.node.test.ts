// The one parser and the stop rule every command shares (src/node/cli/io.ts), and what each
// command does with them: --help on stdout with status 0, unknown options refused with status 2.
import { expect } from 'chai';
import { parseCommand, stopRequested, type CliIo } from '../src/node/cli/io.js';
import { main } from '../src/node/cli/main.js';
import { describe, it } from './harness.js';

function capture(): CliIo & { outText: () => string; errText: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
}

const spec = {
  name: 'demo',
  usage: 'usage: demo',
  options: { port: { type: 'string' }, tag: { type: 'string', multiple: true }, quiet: { type: 'boolean' } },
  positionals: { min: 0, max: 2 },
} as const;

describe('cli io: parseCommand', () => {
  it('reads --name value, --name=value, repeated options, booleans and positionals', () => {
    const parsed = parseCommand(['--port', '1', '--tag=a', 'x', '--tag', 'b', '--quiet', 'y'], spec);
    expect(parsed).to.deep.equal({
      help: false,
      values: { port: '1', tag: ['a', 'b'], quiet: true },
      positionals: ['x', 'y'],
    });
  });

  it('--help or -h anywhere before -- asks for help, even next to a mistake', () => {
    expect(parseCommand(['--frob', '-h'], spec)).to.deep.equal({ help: true });
    expect(parseCommand(['--help'], spec)).to.deep.equal({ help: true });
    expect(parseCommand(['--', '--help'], spec)).to.deep.include({ positionals: ['--help'] });
  });

  it('refuses unknown options, a missing value, a value that reads as an option, and a value for a flag', () => {
    const refusal = (args: string[]) => {
      try {
        parseCommand(args, spec);
      } catch (err) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`;
      }
      return 'accepted';
    };
    expect(refusal(['--frob'])).to.match(/^ERR_USAGE: demo: unknown option --frob \(see .*demo --help\)/);
    expect(refusal(['-x'])).to.match(/unknown option -x/);
    expect(refusal(['--port'])).to.match(/--port needs a value/);
    expect(refusal(['--port', '--quiet'])).to.match(/--port needs a value/);
    expect(refusal(['--quiet=yes'])).to.match(/--quiet takes no value/);
    expect(refusal(['a', 'b', 'c'])).to.match(/too many arguments/);
    expect(refusal(['--port=-1'])).to.equal('accepted');
  });

  it('with dashValues, an argument like -0.5,1,0 is a positional (an .mdf value), not a short option', () => {
    const values = { ...spec, dashValues: true };
    expect(parseCommand(['-0.5,1,0', '-1'], values)).to.deep.include({ positionals: ['-0.5,1,0', '-1'] });
    expect(() => parseCommand(['-x'], values)).to.throw(/unknown option -x/);
    // An h inside such a value is not -h.
    expect(parseCommand(['-1h'], values)).to.deep.include({ positionals: ['-1h'] });
  });
});

describe('cli io: stopRequested', () => {
  it('without io.signal, SIGINT, SIGTERM, SIGBREAK, SIGHUP each stop it (bug: sim heeded SIGINT only)', async () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP'] as const) {
      const before = process.listenerCount(signal);
      const stop = stopRequested(capture());
      process.emit(signal as 'SIGINT');
      expect(await stop.stopped).to.equal(signal);
      expect(process.listenerCount(signal), 'listeners removed after the first').to.equal(before);
    }
  });

  it('with io.signal, the signal stops it and process signals are left alone', async () => {
    const ac = new AbortController();
    const stop = stopRequested({ ...capture(), signal: ac.signal });
    expect(process.listenerCount('SIGTERM')).to.equal(0);
    ac.abort();
    expect(await stop.stopped).to.equal('abort');
  });
});

describe('cli: every command answers --help on stdout with status 0', () => {
  for (const [args, usage] of [
    [['serve', '--help'], /usage: mmdagent-ex-remote serve/],
    [['serve', '-h'], /--no-playground/],
    [['sim', '--help'], /usage: mmdagent-ex-remote sim/],
    [['mdf', '--help'], /mdf lint FILE/],
    [['mdf', 'set', '--help'], /mdf set FILE KEY VALUE/],
    [['mdf', 'lint', '-h'], /mdf lint FILE/],
    [['--help'], /commands:/],
  ] as const) {
    it(args.join(' '), async () => {
      const io = capture();
      expect(await main([...args], io)).to.equal(0);
      expect(io.outText()).to.match(usage);
      expect(io.errText()).to.equal('');
    });
  }
});

describe('cli: unknown options are refused with ERR_USAGE and status 2', () => {
  for (const args of [
    ['serve', '--frob'],
    ['serve', '--sim=yes'],
    ['serve', 'extra'],
    ['sim', '--url', 'ws://127.0.0.1:9/chat', '--frob'],
    ['mdf', 'lint', '--frob', 'x.mdf'],
    ['mdf', 'get', 'x.mdf', 'k', '--frob'],
    ['--frob'],
  ]) {
    it(args.join(' '), async () => {
      const io = capture();
      expect(await main(args, io)).to.equal(2);
      expect(io.errText()).to.match(/^ERR_USAGE: .*(unknown option|takes no value|unexpected argument|too many)/);
      expect(io.outText()).to.equal('');
    });
  }
});
