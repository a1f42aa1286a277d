// The microphone streamed to the avatar as 16 kHz SND audio, with a level meter.
import { Pcm16kResampler, type AgentLink } from '../../src/index.js';
import { $, describeError, setPill, showError } from './dom.js';

const MIC_SEND_SAMPLES = 640; // 40 ms of 16 kHz audio per send, the chunk size the docs recommend

// The capture worklet batches render quanta (128 frames) into ~2048-sample blocks, so the page
// gets ~25 messages a second instead of ~375.
const WORKLET_SOURCE = `
  registerProcessor('mmd-capture', class extends AudioWorkletProcessor {
    constructor() { super(); this.buf = new Float32Array(2048); this.n = 0; }
    process(inputs) {
      const ch = inputs[0] && inputs[0][0];
      if (ch) {
        let i = 0;
        while (i < ch.length) {
          const k = Math.min(ch.length - i, this.buf.length - this.n);
          this.buf.set(ch.subarray(i, i + k), this.n);
          this.n += k; i += k;
          if (this.n === this.buf.length) {
            this.port.postMessage(this.buf, [this.buf.buffer]);
            this.buf = new Float32Array(2048); this.n = 0;
          }
        }
      }
      return true;
    }
  });`;

interface Mic {
  stream: MediaStream | null;
  ctx: AudioContext | null;
  nodes: AudioNode[];
  resampler: Pcm16kResampler | null;
  pending: Int16Array[];
  pendingSamples: number;
  sentBytes: number;
  stopped: boolean;
}

/** Root mean square of a block, as a 0..1 level (the meter shows it on a dB-like scale). */
export function level(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  // -60 dBFS reads as 0, 0 dBFS as 1: speech then moves the bar through most of its length.
  return rms <= 0.001 ? 0 : Math.min(1, (20 * Math.log10(rms) + 60) / 60);
}

export function micErrorText(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return (
      'Microphone permission was denied. Allow the microphone for this page in the browser’s site settings, ' +
      'then press Start again.'
    );
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No microphone was found. Connect one (or enable it in the system settings) and try again.';
  if (name === 'NotReadableError' || name === 'AbortError')
    return 'The microphone could not be opened; another program may be using it.';
  return describeError(err).message;
}

export class Microphone {
  mic: Mic | null = null;
  #link: () => AgentLink | null;
  /** Sends the avatar set-up lines first; returns false when one was refused. */
  #prepare: () => boolean;
  #onUpdate: () => void;

  constructor(link: () => AgentLink | null, prepare: () => boolean, onUpdate: () => void) {
    this.#link = link;
    this.#prepare = prepare;
    this.#onUpdate = onUpdate;
    $('mic-start').addEventListener('click', () => void this.start());
    $('mic-stop').addEventListener('click', () => this.stop('stopped'));
    this.#set('idle', 'idle');
  }

  #set(kind: 'idle' | 'ok' | 'busy' | 'bad', text: string): void {
    setPill($('mic-state'), kind, text);
    $<HTMLButtonElement>('mic-stop').disabled = !this.mic;
    if (!this.mic) $<HTMLMeterElement>('mic-level').value = 0;
    this.#onUpdate();
  }

  async start(): Promise<void> {
    showError($('mic-error'), null);
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') {
      showError(
        $('mic-error'),
        new Error(
          'This browser gives no microphone access to this page. Browsers allow it only on secure pages: ' +
            'open the playground from http://127.0.0.1 or http://localhost (or https).',
        ),
      );
      return this.#set('bad', 'unsupported');
    }
    const AudioCtx = window.AudioContext ?? (window as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!AudioCtx) {
      showError($('mic-error'), new Error('This browser has no Web Audio API, which the microphone stream needs.'));
      return this.#set('bad', 'unsupported');
    }
    // Audio is discarded until the connection's avatar has a model (wire.md §8.3), so set it up first.
    if (!this.#prepare()) return this.#set('bad', 'not started');
    const mic: Mic = {
      stream: null,
      ctx: null,
      nodes: [],
      resampler: null,
      pending: [],
      pendingSamples: 0,
      sentBytes: 0,
      stopped: false,
    };
    this.mic = mic;
    this.#set('busy', 'requesting permission…');
    try {
      mic.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
      });
    } catch (err) {
      this.mic = null;
      showError($('mic-error'), new Error(micErrorText(err)));
      return this.#set('bad', 'error');
    }
    if (mic.stopped) return release(mic);
    try {
      const ctx = new AudioCtx();
      mic.ctx = ctx;
      mic.resampler = new Pcm16kResampler(ctx.sampleRate);
      const source = ctx.createMediaStreamSource(mic.stream);
      const mute = ctx.createGain();
      mute.gain.value = 0; // the graph must reach the destination to run, but we do not want to hear ourselves
      let capture: AudioNode;
      try {
        const url = URL.createObjectURL(new Blob([WORKLET_SOURCE], { type: 'text/javascript' }));
        await ctx.audioWorklet.addModule(url);
        URL.revokeObjectURL(url);
        const node = new AudioWorkletNode(ctx, 'mmd-capture', {
          numberOfInputs: 1,
          numberOfOutputs: 1,
          channelCount: 1,
          channelCountMode: 'explicit',
        });
        node.port.onmessage = (e: MessageEvent<Float32Array>) => this.#samples(mic, e.data);
        capture = node;
      } catch {
        // No AudioWorklet (older browsers, some file:// setups): the deprecated ScriptProcessor still works.
        const node = ctx.createScriptProcessor(2048, 1, 1);
        node.onaudioprocess = (e) => this.#samples(mic, e.inputBuffer.getChannelData(0).slice());
        capture = node;
      }
      source.connect(capture);
      capture.connect(mute);
      mute.connect(ctx.destination);
      mic.nodes = [source, capture, mute];
      if (ctx.state === 'suspended') await ctx.resume();
    } catch (err) {
      release(mic);
      this.mic = null;
      showError($('mic-error'), err);
      return this.#set('bad', 'error');
    }
    if (mic.stopped) return release(mic);
    mic.stream
      .getAudioTracks()[0]
      ?.addEventListener('ended', () => this.stop('stopped', 'The microphone was disconnected.'));
    this.#set('ok', `streaming (${Math.round(mic.ctx!.sampleRate / 100) / 10} kHz → 16 kHz)`);
  }

  #samples(mic: Mic, samples: Float32Array): void {
    const link = this.#link();
    if (mic.stopped || !link) return;
    $<HTMLMeterElement>('mic-level').value = level(samples);
    const pcm = mic.resampler!.push(samples);
    if (pcm.length === 0) return;
    mic.pending.push(pcm);
    mic.pendingSamples += pcm.length;
    if (mic.pendingSamples < MIC_SEND_SAMPLES) return;
    // Send whole 40 ms chunks and carry the rest, so every SND chunk has the recommended size.
    const all = new Int16Array(mic.pendingSamples);
    let at = 0;
    for (const p of mic.pending) (all.set(p, at), (at += p.length));
    const whole = all.length - (all.length % MIC_SEND_SAMPLES);
    mic.pending = whole < all.length ? [all.slice(whole)] : [];
    mic.pendingSamples = all.length - whole;
    try {
      // Paced by the SDK (a small lead, gaps that let MMDAgent-EX flush its output, wire.md §5.4).
      link.sendAudio(all.subarray(0, whole)).catch((err: unknown) => this.stop('bad', err));
      mic.sentBytes += whole * 2;
      $('mic-sent').textContent = `${(mic.sentBytes / 32000).toFixed(1)} s sent`;
    } catch (err) {
      this.stop('bad', err);
    }
  }

  /** `how`: 'stopped' (by the user or the connection) or 'bad' with an error to show. */
  stop(how: 'stopped' | 'bad', err?: unknown): void {
    const mic = this.mic;
    if (!mic) return;
    this.mic = null;
    release(mic);
    if (how === 'bad') {
      showError($('mic-error'), err);
      this.#set('bad', 'error');
    } else {
      if (err) showError($('mic-error'), new Error(String(err)));
      this.#set('idle', 'stopped');
    }
  }
}

function release(mic: Mic): void {
  mic.stopped = true;
  for (const n of mic.nodes) {
    try {
      n.disconnect();
    } catch {
      // already disconnected
    }
  }
  mic.stream?.getTracks().forEach((t) => t.stop());
  if (mic.ctx && mic.ctx.state !== 'closed') mic.ctx.close().catch(() => {});
}
