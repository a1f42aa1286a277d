// What the simulated MMDAgent-EX does with each bus message: the events, their order and their
// delays as recorded from the real app (real-client/transcripts.md, "t" columns; delays are the
// recorded gap after the echo). Where no recording exists, messages.md is followed. Failures are
// silent as in the real app: an unknown alias or a wrong argument count gives the echo and
// nothing else (transcripts.md, finding 3). One module per area; adding a command is one entry
// in its area's table, typed by the catalog.
import type { Message } from '../../../message.js';
import { AvatarBehaviour } from './avatar.js';
import { modelBehaviours } from './models.js';
import { motionBehaviours } from './motion.js';
import { soundBehaviours } from './sound.js';
import { DEFAULT_VOICES, speechBehaviours } from './speech.js';
import { systemBehaviours } from './system.js';
import { uiBehaviours } from './ui.js';
import { World, typedBus } from './world.js';
import type { BehaviourOptions, Handlers, SimHost } from './world.js';

export { DEFAULT_MODELS } from './world.js';
export type { BehaviourOptions, LinkState, SimHost } from './world.js';
export { DEFAULT_VOICES, phonemes, speechMs } from './speech.js';

export class Behaviour {
  readonly world: World;
  readonly avatar: AvatarBehaviour;
  private readonly handlers: Handlers;

  constructor(host: SimHost, opts: BehaviourOptions = {}) {
    this.world = new World(typedBus(host), opts);
    this.avatar = new AvatarBehaviour(this.world);
    const voices = new Set(opts.voices ?? DEFAULT_VOICES);
    this.handlers = {
      ...modelBehaviours(this.world),
      ...motionBehaviours(this.world),
      ...speechBehaviours(this.world, voices),
      ...soundBehaviours(this.world),
      ...systemBehaviours(this.world),
      ...uiBehaviours(this.world),
      AVATAR_CONTROL: (a) => {
        if (a[0] === 'ENABLE') this.avatar.avatarControl(true);
        else if (a[0] === 'DISABLE') this.avatar.avatarControl(false);
      },
    };
  }

  /** True when the sim acts on `type` beyond echoing it (some commands only under conditions). */
  answers(type: string): boolean {
    return Object.hasOwn(this.handlers, type);
  }

  /** Acts on one bus message (already echoed by the caller). Arguments are the collapsed form. */
  handle(m: Message): void {
    if (Object.hasOwn(this.handlers, m.type)) this.handlers[m.type as keyof Handlers]?.(m.args);
  }
}
