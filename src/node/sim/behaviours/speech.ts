// Speech: SYNTH_* (Open JTalk / Flite+hts_engine) and LIPSYNC_* (messages.md "Speech").
// Timing from transcripts.md finding 7 and part1 #15–#23, part1b #8, #11.
import type { Handlers, Running, World } from './world.js';

export const DEFAULT_VOICES = ['normal', 'angry', 'bashful', 'happy', 'sad', 'fast', 'slow', 'high', 'low']
  .map((v) => `mei_voice_${v}`)
  .concat(['normal', 'fast', 'slow', 'high', 'low'].map((v) => `slt_voice_${v}`));

const T = {
  synthPrepare: 100, // part1 #16/#18: SYNTH_EVENT_START 0–230 ms after the echo
  speechTail: 200, // finding 7: both stops about 200–310 ms after LIPSYNC_START + sum of durations
  lipsyncStop: 130, // part1 #20, #23
  restartSpeech: 226, // part1b #8
};

/**
 * Length in ms of the phoneme sequence the TTS plugins produce for `text`, fitted to the recorded
 * table (transcripts.md finding 7): about 163 ms per wide (Japanese) character and 72 ms per
 * ASCII character, minus 164 ms (はい。→ 325, 17 chars → 2530, 60 chars → 9605; 43 ASCII → 2920).
 */
export function speechMs(text: string): number {
  let ms = -164;
  for (const ch of text) ms += ch.charCodeAt(0) < 0x80 ? 72 : 163;
  return Math.max(200, Math.round(ms));
}

/** A plausible `LIPSYNC_START` sequence (phoneme,ms,...) whose durations sum to speechMs(text). */
export function phonemes(text: string): string {
  const chars = [...text].filter((c) => c.trim() !== '');
  const total = speechMs(text);
  const n = Math.max(1, Math.min(chars.length, 100));
  const each = Math.floor(total / n);
  const vowels = 'aiueo';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(vowels[i % 5], String(i === n - 1 ? total - each * (n - 1) : each));
  return parts.join(',');
}

/** Sum of the durations of a `phoneme,ms,...` sequence. */
export function sequenceMs(sequence: string): number {
  const fields = sequence.split(',');
  let total = 0;
  for (let i = 1; i < fields.length; i += 2) total += Number.parseFloat(fields[i]) || 0;
  return total;
}

export function speechBehaviours(w: World, voices: ReadonlySet<string>): Handlers {
  const { bus } = w;
  const speech = new Map<string, Running>();

  return {
    SYNTH_START: (a) => {
      if (a.length < 3 || !voices.has(a[1])) return;
      const [alias, , text] = a;
      const start = () => {
        bus.post('SYNTH_EVENT_START', alias);
        bus.post('LIPSYNC_START', alias, phonemes(text));
        const stop = bus.after(speechMs(text) + T.speechTail, () => {
          speech.delete(alias);
          bus.post('SYNTH_EVENT_STOP', alias);
        });
        speech.set(alias, { cancel: stop });
      };
      const running = speech.get(alias);
      if (running) {
        // A new utterance for the same model ends the old one first (transcripts.md part1b #8).
        running.cancel();
        bus.post('LIPSYNC_STOP', alias);
        const restart = bus.after(T.restartSpeech, () => {
          bus.post('SYNTH_EVENT_STOP', alias);
          start();
        });
        speech.set(alias, { cancel: restart });
        return;
      }
      speech.set(alias, { cancel: bus.after(T.synthPrepare, start) });
    },
    SYNTH_STOP: (a) => {
      const alias = a[0];
      const running = speech.get(alias ?? '');
      if (!alias || !running) return;
      running.cancel();
      // Both TTS plugins answer with a LIPSYNC_STOP (transcripts.md part1 #20).
      bus.post('LIPSYNC_STOP', alias);
      bus.post('LIPSYNC_STOP', alias);
      const stop = bus.after(T.lipsyncStop, () => {
        speech.delete(alias);
        bus.post('SYNTH_EVENT_STOP', alias);
      });
      speech.set(alias, { cancel: stop });
    },
    LIPSYNC_START: (a) => {
      const model = w.live(a[0]);
      if (a.length !== 2 || !model) return;
      if (model.lipsync) {
        model.lipsync();
        bus.post('LIPSYNC_EVENT_STOP', a[0]);
      }
      bus.post('LIPSYNC_EVENT_START', a[0]);
      model.lipsync = bus.after(sequenceMs(a[1]) + T.speechTail, () => {
        model.lipsync = undefined;
        bus.post('LIPSYNC_EVENT_STOP', a[0]);
      });
    },
    LIPSYNC_STOP: (a) => {
      const model = w.live(a[0]);
      if (!model?.lipsync) return;
      model.lipsync();
      model.lipsync = undefined;
      bus.after(T.lipsyncStop, () => bus.post('LIPSYNC_EVENT_STOP', a[0]));
    },
  };
}
