// Example 3 — a dialogue loop: when MMDAgent-EX recognises speech (`RECOG_EVENT_STOP|<text>`),
// answer with speech synthesis (`SYNTH_START|<model>|<voice>|<reply>`) and wait for the end of
// the utterance (`SYNTH_EVENT_STOP|<model>`).
//
//   npx tsx examples/dialogue-loop.ts [--port 9001] [--model 0] [--voice mei_voice_normal]
//
// The wait has a timeout because MMDAgent-EX reports no failures (wire.md §10.2): an unknown
// model or voice alias, or a missing TTS plugin, gives only the echo and then silence.
// Replace `reply()` with your own logic (an LLM call, a rule table, ...).
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { isMmdError, synthStart } from 'mmdagent-ex-remote';
import { createServer, type AgentLink, type MmdServer } from 'mmdagent-ex-remote/server';

export interface DialogueOptions {
  port?: number;
  host?: string;
  /** Alias of the model that speaks; default `0` (the example content's model). */
  model?: string;
  /** Voice defined in the content's TTS setup; default `mei_voice_normal`. */
  voice?: string;
  /** How long to wait for SYNTH_EVENT_STOP; default 60 s. */
  speechTimeoutMs?: number;
  /** The answer to what was heard; default a small rule table. */
  reply?: (heard: string) => string | Promise<string>;
  log?: (line: string) => void;
}

/** A placeholder brain: greets back, otherwise repeats what it heard. */
export function reply(heard: string): string {
  const text = heard.trim();
  if (/こんにちは|hello|hi\b/i.test(text)) return 'こんにちは。';
  if (/ありがとう|thank/i.test(text)) return 'どういたしまして。';
  return text ? `「${text}」ですね。` : 'もう一度お願いします。';
}

/** Speaks `text` and resolves when MMDAgent-EX reports the end of the utterance. */
export async function say(
  link: AgentLink,
  model: string,
  voice: string,
  text: string,
  timeoutMs: number,
): Promise<void> {
  // Listen before sending, so a fast SYNTH_EVENT_STOP cannot slip past.
  const done = link.waitFor((m) => m.type === 'SYNTH_EVENT_STOP' && m.args[0] === model, { timeoutMs });
  // Text for the voice may not hold `|` (it would end the argument) or line breaks; the builder
  // refuses them with an MmdError instead of sending something MMDAgent-EX would misread.
  link.send(synthStart(model, voice, text.replace(/[|\r\n]+/g, ' ')));
  await done;
}

export async function run(opts: DialogueOptions = {}): Promise<MmdServer> {
  const log = opts.log ?? console.log;
  const model = opts.model ?? '0';
  const voice = opts.voice ?? 'mei_voice_normal';
  const timeoutMs = opts.speechTimeoutMs ?? 60_000;
  const answer = opts.reply ?? reply;
  const server = await createServer({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 9001 });

  server.on('agent', (link, info) => {
    log(`MMDAgent-EX connected on ${info.channel}`);
    // One turn at a time: what is heard while the avatar speaks waits its turn.
    let turns = Promise.resolve();
    link.on('RECOG_EVENT_STOP', (msg) => {
      const heard = msg.args[0] ?? '';
      turns = turns.then(async () => {
        log(`heard: ${heard}`);
        try {
          const text = await answer(heard);
          log(`saying: ${text}`);
          await say(link, model, voice, text, timeoutMs);
          log('done speaking');
        } catch (err) {
          if (isMmdError(err, 'ERR_TIMEOUT')) {
            log(
              `no SYNTH_EVENT_STOP|${model} within ${timeoutMs / 1000} s: check the model alias "${model}", ` +
                `the voice "${voice}" and that a TTS plugin is loaded (MMDAgent-EX reports no errors)`,
            );
          } else if (isMmdError(err, 'ERR_CLOSED')) {
            log('MMDAgent-EX went away before the reply ended');
          } else {
            log(`could not answer: ${(err as Error).message}`);
          }
        }
      });
    });
  });
  server.on('agentLeft', (info) => log(`MMDAgent-EX left ${info.channel}`));
  log(`listening on ${server.url}; answering RECOG_EVENT_STOP with ${model}/${voice}`);
  return server;
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      model: { type: 'string' },
      voice: { type: 'string' },
    },
  });
  const server = await run({
    port: Number(values.port ?? process.env.PORT ?? 9001),
    host: values.host,
    model: values.model,
    voice: values.voice,
  });
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
}
