// The avatar controls: __AV_START/__AV_END, the model, automatic lip-sync and an ex-morph slider.
import { avatar, type AutoLipMode } from '../../src/index.js';
import { $, showError } from './dom.js';

const MORPH_SEND_EVERY_MS = 100; // slider drags send at most this often
const MORPH_HOLD_EVERY_MS = 500; // MMDAgent-EX lets an ex-morph go after 1 s (avatar.md)

type Send = (line: string, errorBox: HTMLElement) => boolean;

export class AvatarControls {
  #send: Send;
  #morphTimer = 0;
  #morphLastSent = 0;
  #holdTimer = 0;

  constructor(send: Send) {
    this.#send = send;
    $('av-start').addEventListener('click', () => this.line(() => avatar.start()));
    $('av-end').addEventListener('click', () => this.line(() => avatar.end()));
    $('av-setmodel').addEventListener('click', () => this.line(() => avatar.setModel(this.model())));
    $('av-autolip-send').addEventListener('click', () =>
      this.line(() => avatar.disableAutoLip($<HTMLSelectElement>('av-autolip').value as AutoLipMode)),
    );
    $('av-morph-value').addEventListener('input', () => this.#onMorphInput());
    $('av-morph-hold').addEventListener('change', () => this.#onHoldChange());
  }

  model(): string {
    return $<HTMLInputElement>('av-model').value.trim();
  }

  /** Builds an avatar line with the SDK (which validates it) and sends it. */
  line(build: () => string): boolean {
    try {
      return this.#send(build(), $('av-error'));
    } catch (err) {
      showError($('av-error'), err);
      return false;
    }
  }

  #morph(): string {
    const name = $<HTMLInputElement>('av-morph-name').value.trim();
    return avatar.exMorph({ [name]: Number($<HTMLInputElement>('av-morph-value').value) });
  }

  #onMorphInput(): void {
    $<HTMLOutputElement>('av-morph-out').value = $<HTMLInputElement>('av-morph-value').value;
    // Send the latest value at most every MORPH_SEND_EVERY_MS while the slider moves.
    const wait = this.#morphLastSent + MORPH_SEND_EVERY_MS - Date.now();
    if (this.#morphTimer) return;
    this.#morphTimer = window.setTimeout(
      () => {
        this.#morphTimer = 0;
        this.#morphLastSent = Date.now();
        this.line(() => this.#morph());
      },
      Math.max(0, wait),
    );
  }

  stopHold(): void {
    clearInterval(this.#holdTimer);
    this.#holdTimer = 0;
    $<HTMLInputElement>('av-morph-hold').checked = false;
  }

  #onHoldChange(): void {
    clearInterval(this.#holdTimer);
    this.#holdTimer = 0;
    if (!$<HTMLInputElement>('av-morph-hold').checked) return;
    if (!this.line(() => this.#morph())) return this.stopHold();
    this.#holdTimer = window.setInterval(() => {
      if (!this.line(() => this.#morph())) this.stopHold();
    }, MORPH_HOLD_EVERY_MS);
  }
}
