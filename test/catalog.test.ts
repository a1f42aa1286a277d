import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { isMmdError } from '../src/errors.js';
import type { MmdErrorCode } from '../src/errors.js';
import { formatMessage, parseMessage } from '../src/message.js';
import * as entry from '../src/index.js';
import {
  camera,
  captionSetstyleFull,
  commands,
  infotextString,
  lipsyncStart,
  menuSetitem,
  modelAdd,
  motionAdd,
  motionDelete,
  parseEvent,
  promptShow,
  rabbitmqSend,
  recogModifyGain,
  stage,
  synthStart,
  textareaAdd,
  transparentStart,
  valueEval,
  valueSet,
} from '../src/catalog/index.js';
import type {
  AgentEvent,
  CommandType,
  EventType,
  KnownMessageType,
  MessageArgsMap,
  UnknownEvent,
} from '../src/catalog/index.js';
import { CATALOG } from '../src/catalog/spec.js';
import { kindOf } from '../src/catalog/kinds.js';
import { AgentLink } from '../src/link.js';
import { memoryPair } from './support/memory-socket.js';

const line = (m: { type: string; args: string[] }) => formatMessage(m);
const parse = (text: string) => parseEvent(parseMessage(text));

function throws(fn: () => unknown, code: MmdErrorCode, text?: string) {
  try {
    fn();
  } catch (err) {
    expect(isMmdError(err, code), String(err)).to.equal(true);
    if (text) expect((err as Error).message).to.contain(text);
    return;
  }
  expect.fail(`expected ${code}`);
}

/** Number text the way formatNumber writes it: examples in messages.md sometimes write `1.0`. */
const canonical = (example: string) => example.replace(/(\d)\.0(?=[|,]|$)/g, '$1');

describe('catalog data', () => {
  it('SND* and __AV* entries are wire lines with no builder and no bus parse (wire.md §8, avatar.md)', () => {
    const wire = CATALOG.filter((e) => e.kind === 'wire-line').map((e) => e.name);
    expect(wire).to.have.members([
      '__AV_START',
      '__AV_END',
      '__AV_SETMODEL',
      '__AVCONF_DISABLEAUTOLIP',
      '__AV_EXMORPH',
      '__AV_ACTION',
      '__AV_MESSAGE',
      'SNDSTRM',
      'SNDFILE',
      'SNDBRKS',
      'SND',
    ]);
    for (const e of CATALOG.filter((x) => x.kind === 'wire-line')) {
      expect(e.builder, e.name).to.equal(undefined);
      if (e.name.startsWith('__AV_') && !e.name.startsWith('__AV_MESSAGE'))
        expect(parse(e.example).known, e.example).to.equal(false);
    }
  });

  it('RECOG_RECORD_* are parsed but have no builder: MMDAgent-EX drops them from the socket (wire.md §10.1)', () => {
    const rec = CATALOG.filter((e) => e.name.startsWith('RECOG_RECORD'));
    expect(rec.map((e) => e.name)).to.deep.equal(['RECOG_RECORD_START', 'RECOG_RECORD_STOP']);
    for (const e of rec) {
      expect(e.builder).to.equal(undefined);
      expect(parse(e.example).known).to.equal(true);
    }
    expect(Object.keys(commands).some((k) => k.startsWith('recogRecord'))).to.equal(false);
  });

  it('every other command form has exactly one builder, and every builder belongs to one entry', () => {
    const forms = CATALOG.filter(
      (e) => e.kind === 'message' && e.direction === 'command' && !e.name.startsWith('RECOG_RECORD'),
    );
    const names = forms.map((e) => e.builder);
    expect(names.every((n) => typeof n === 'string')).to.equal(true);
    expect(new Set(names).size).to.equal(names.length);
    expect(Object.keys(commands).sort()).to.deep.equal([...names].sort());
    for (const n of names)
      expect(typeof (entry as Record<string, unknown>)[n!], `${n} exported from the entry`).to.equal('function');
  });

  it("every example parses back as known, with its entry's form (messages.md §1: commands come back as echoes)", () => {
    for (const e of CATALOG.filter((x) => x.kind === 'message')) {
      const ev = parse(e.example);
      expect(ev.known, `${e.example}: ${(ev as UnknownEvent).reason}`).to.equal(true);
      expect(ev.type).to.equal(e.name);
      if (e.form) expect((ev as { form?: string }).form, e.example).to.equal(e.form);
      expect(ev.args).to.deep.equal(parseMessage(e.example).args);
    }
  });

  it("every command's builder, given the parsed fields, writes the example line again", () => {
    let checked = 0;
    for (const e of CATALOG.filter((x) => x.builder)) {
      const ev = parse(e.example) as unknown as Record<string, unknown>;
      const head = e.form !== undefined && e.args[0]?.enum?.length === 1 && e.args[0].enum[0] === e.form;
      const params: unknown[] = [];
      for (const a of e.args.slice(head ? 1 : 0)) {
        if (a.name === 'itemN') params.push(...(ev[a.name] as string[]));
        else params.push(ev[a.name]);
      }
      while (params.length && params[params.length - 1] === undefined) params.pop();
      const build = (commands as unknown as Record<string, (...a: unknown[]) => { type: string; args: string[] }>)[
        e.builder!
      ];
      expect(line(build(...params)), e.example).to.equal(canonical(e.example));
      checked++;
    }
    // every command of protocol/messages.json but the wire lines and RECOG_RECORD_* (counted from the data)
    const commandForms = CATALOG.filter((e) => e.direction === 'command' && e.kind === 'message');
    expect(checked).to.equal(commandForms.filter((e) => !e.name.startsWith('RECOG_RECORD')).length);
    expect(checked).to.be.above(0);
  });
});

describe('command builders', () => {
  it('write typed values in the wire forms of messages.md §2', () => {
    expect(line(modelAdd('mei', 'model/mei/mei.pmd', [0, 0, 0], [0, 30, 0], 'ON'))).to.equal(
      'MODEL_ADD|mei|model/mei/mei.pmd|0,0,0|0,30,0|ON',
    );
    expect(line(synthStart('mei', 'mei_voice_normal', 'こんにちは'))).to.equal(
      'SYNTH_START|mei|mei_voice_normal|こんにちは',
    );
    expect(line(camera([0, 15.25, 0], [4.5, 0, 0], 22.4, 27, 1e-7))).to.equal(
      'CAMERA|0,15.25,0|4.5,0,0|22.4|27|0.0000001',
    );
    expect(line(textareaAdd('board', [10, 5], [1, 1, 1], [0, 0, 0, 0.5], [1, 1, 1, 1], [0, 20, 0]))).to.equal(
      'TEXTAREA_ADD|board|10,5|1,1,1|0,0,0,0.5|1,1,1,1|0,20,0',
    );
    expect(line(lipsyncStart('mei', ['sil', 187, 'k', 75]))).to.equal('LIPSYNC_START|mei|sil,187,k,75');
    expect(line(stage(['images/floor.png', 'images/back.png']))).to.equal('STAGE|images/floor.png,images/back.png');
    expect(line(transparentStart())).to.equal('TRANSPARENT_START');
    expect(line(valueSet('count', '3'))).to.equal('VALUE_SET|count|3');
    expect(
      line(captionSetstyleFull('t', 'default', [1, 0.5, 0, 1], [1, 1, 1, 1, 4], [0, 0, 0, 0.6, 6], [0, 0, 0, 0])),
    ).to.equal('CAPTION_SETSTYLE|t|default|1,0.5,0,1|1,1,1,1,4|0,0,0,0.6,6|0,0,0,0');
  });

  it('forms chosen by a first word take it from the name (messages.md MENU, RECOG_MODIFY)', () => {
    expect(line(recogModifyGain(1.5))).to.equal('RECOG_MODIFY|GAIN|1.5');
    expect(line(menuSetitem('m', 0, 'Wave', 'MOTION_ADD'))).to.equal('MENU|SETITEM|m|0|Wave|MOTION_ADD');
  });

  it('a `rest` argument may carry "|" and becomes several arguments', () => {
    const m = menuSetitem('Gene', 0, '頬なし', 'MODEL_BINDFACE', '0|頬全消し|1');
    expect(m.args).to.deep.equal(['SETITEM', 'Gene', '0', '頬なし', 'MODEL_BINDFACE', '0', '頬全消し', '1']);
    expect(rabbitmqSend('a|b').args).to.deep.equal(['a', 'b']);
    throws(() => rabbitmqSend('a||b'), 'ERR_EMPTY_ARGUMENT');
  });

  it('PROMPT_SHOW takes any number of items, up to the 10-argument limit (wire.md §7.7)', () => {
    expect(line(promptShow('Continue?', 'Yes', 'No'))).to.equal('PROMPT_SHOW|Continue?|Yes|No');
    expect(promptShow('Q', '1', '2', '3', '4', '5', '6', '7', '8', '9').args.length).to.equal(10);
    throws(() => promptShow('Q', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'), 'ERR_TOO_MANY_ARGS');
  });

  it('refuse a bad enum word, also from untyped callers', () => {
    throws(() => motionAdd('mei', 'm', 'a.vmd', 'FULL', 'TWICE' as 'ONCE'), 'ERR_BAD_ARGUMENT', 'ONCE,LOOP');
    throws(() => modelAdd('mei', 'a.pmd', [0, 0, 0], [0, 0, 0], 'on' as 'ON'), 'ERR_BAD_ARGUMENT', 'argument 5');
  });

  it('refuse numbers MMDAgent-EX cannot read, and non-integers where an int is due', () => {
    throws(() => camera([0, 0, 0], [0, 0, 0], NaN, 27), 'ERR_BAD_ARGUMENT', 'NaN');
    throws(() => camera([0, 0, 0], [0, 0, Infinity], 1, 27), 'ERR_BAD_ARGUMENT', 'argument 2');
    throws(() => menuSetitem('m', 1.5, 'x', 'T'), 'ERR_BAD_ARGUMENT', 'an integer');
    throws(() => camera([0, 0, 0], [0, 0, 0], '1' as unknown as number, 27), 'ERR_BAD_ARGUMENT');
    // values JSON cannot show still get ERR_BAD_ARGUMENT, not a TypeError from the message
    throws(() => camera([0, 0, 0], [0, 0, 1n as unknown as number], 1, 27), 'ERR_BAD_ARGUMENT', 'bigint');
    const cycle: unknown[] = [0, 0];
    cycle.push([cycle]);
    throws(() => camera([0, 0, 0], cycle as unknown as [number, number, number], 1, 27), 'ERR_BAD_ARGUMENT', 'object');
  });

  it('refuse vectors of the wrong length and colours outside 0..1 (messages.md §2)', () => {
    throws(
      () => modelAdd('mei', 'a.pmd', [0, 0] as unknown as [number, number, number]),
      'ERR_BAD_ARGUMENT',
      '3 values',
    );
    throws(() => transparentStart([0, 1.5, 0]), 'ERR_BAD_ARGUMENT', 'from 0 to 1');
    throws(() => transparentStart([-0.1, 0, 0]), 'ERR_BAD_ARGUMENT');
    // the fifth edge5 value is a thickness, not a colour
    expect(
      captionSetstyleFull('t', 'f', [1, 1, 1, 1], [1, 1, 1, 1, 4], [1, 1, 1, 1, 0], [0, 0, 0, 0]).args[3],
    ).to.equal('1,1,1,1,4');
  });

  it('refuse a hexcolor that is not RRGGBB or RRGGBBAA', () => {
    expect(infotextString('t', 'T', ['OK'], 1, 'ff0000', '00FF00AA').args).to.deep.equal([
      't',
      'T',
      'OK',
      '1',
      'ff0000',
      '00FF00AA',
    ]);
    throws(() => infotextString('t', 'T', ['OK'], 1, '#ff0000'), 'ERR_BAD_ARGUMENT', 'RRGGBB');
    throws(() => infotextString('t', 'T', ['OK'], 1, 'fff'), 'ERR_BAD_ARGUMENT');
  });

  it('refuse "," inside aliases and list items, and empty lists (messages.md §1: "," cannot be escaped)', () => {
    throws(() => modelAdd('a,b', 'x.pmd'), 'ERR_BAD_ARGUMENT', '","');
    throws(() => lipsyncStart('mei', ['a,b', 10]), 'ERR_BAD_ARGUMENT');
    throws(() => lipsyncStart('mei', []), 'ERR_BAD_ARGUMENT', 'non-empty');
    throws(() => stage(['only-one.png'] as unknown as [string, string]), 'ERR_BAD_ARGUMENT', '2 values');
  });

  it('refuse missing, extra and out-of-order arguments from untyped callers', () => {
    const untyped = modelAdd as unknown as (...a: unknown[]) => unknown;
    throws(() => untyped('mei'), 'ERR_BAD_ARGUMENT', '2 arguments');
    throws(() => untyped('mei', undefined), 'ERR_BAD_ARGUMENT', 'argument 2');
    throws(() => untyped('mei', 'a.pmd', undefined, [0, 0, 0]), 'ERR_BAD_ARGUMENT', 'later optional');
    throws(
      () => untyped('mei', 'a.pmd', [0, 0, 0], [0, 0, 0], 'ON', 'p', 'b', 'extra'),
      'ERR_BAD_ARGUMENT',
      'at most 7',
    );
    expect(line(untyped('mei', 'a.pmd', undefined, undefined) as never)).to.equal('MODEL_ADD|mei|a.pmd');
  });

  it('leave wire rules to formatMessage: "|", line breaks, empty strings (wire.md §12)', () => {
    throws(() => synthStart('mei', 'v', 'a|b'), 'ERR_PIPE_IN_FIELD');
    throws(() => synthStart('mei', 'v', 'a\nb'), 'ERR_FORBIDDEN_CHAR');
    throws(() => synthStart('mei', 'v', ''), 'ERR_EMPTY_ARGUMENT');
    throws(() => synthStart('mei', 'v', 'x'.repeat(3000)), 'ERR_LINE_TOO_LONG');
  });

  it('an all-string builder checks every position, the last too (bug: its fast path let a bad last pass)', () => {
    const untyped = synthStart as unknown as (...a: unknown[]) => unknown;
    for (const at of [0, 1, 2]) {
      const args = (bad: unknown) => ['mei', 'v', 'text'].map((v, i) => (i === at ? bad : v));
      throws(() => untyped(...args('a|b')), 'ERR_PIPE_IN_FIELD');
      throws(() => untyped(...args('a\rb')), 'ERR_FORBIDDEN_CHAR');
      throws(() => untyped(...args('\ud800')), 'ERR_LONE_SURROGATE');
      throws(() => untyped(...args(7)), 'ERR_BAD_ARGUMENT', `argument ${at + 1}`);
    }
    throws(() => untyped('mei,2', 'v', 'text'), 'ERR_BAD_ARGUMENT', 'argument 1'); // an alias splits at commas
    throws(() => motionDelete('mei', 'a,b'), 'ERR_BAD_ARGUMENT', 'argument 2');
    expect(line(synthStart('mei', 'v', 'a, b'))).to.equal('SYNTH_START|mei|v|a, b'); // a text may hold commas
  });

  it('any accepted input is read back by parseEvent as the same values (property)', () => {
    const alias = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((s) => /^[^|,\r\n\0]+$/.test(s) && !/[\uD800-\uDFFF]/.test(s));
    const num = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
    const vec = fc.tuple(num, num, num);
    const opt = fc.option(
      fc.tuple(vec, fc.option(fc.tuple(vec, fc.constantFrom<'ON' | 'OFF'>('ON', 'OFF')), { nil: undefined })),
      { nil: undefined },
    );
    fc.assert(
      fc.property(alias, alias, opt, (model, file, rest) => {
        const built =
          rest === undefined
            ? modelAdd(model, file)
            : rest[1] === undefined
              ? modelAdd(model, file, rest[0])
              : modelAdd(model, file, rest[0], ...rest[1]);
        const ev = parse(line(built));
        if (!ev.known || ev.type !== 'MODEL_ADD') throw new Error(`not read back: ${line(built)}`);
        expect(ev.modelAlias).to.equal(model);
        expect(ev.fileName).to.equal(file);
        expect(ev.position).to.deep.equal(rest?.[0]);
        expect(ev.rotation).to.deep.equal(rest?.[1]?.[0]);
        expect(ev.cartoon).to.equal(rest?.[1]?.[1]);
      }),
    );
  });
});

describe('built messages carry their checked line (issue 7)', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      expect(isMmdError(err), String(err)).to.equal(true);
      return (err as { code: string }).code;
    }
    return undefined;
  };
  const sent = (m: { type: string; args: string[] }) => {
    const [socket] = memoryPair();
    new AgentLink(socket).send(m);
    return socket.sent[0];
  };
  const texts = fc.oneof(
    fc.string({ minLength: 1 }),
    fc.string({ unit: 'binary', minLength: 1 }),
    fc.constantFrom('a|b', 'a,b', 'x\ny', '\ud800', '😀', 'あ'.repeat(700)),
  );

  it('a builder sends through AgentLink the frame a plain copy of its message gives, or fails alike (§12.3)', () => {
    fc.assert(
      fc.property(texts, texts, texts, (model, voice, text) => {
        const plain = () => ({ type: 'SYNTH_START', args: [model, voice, text] });
        const code = codeOf(() => synthStart(model, voice, text));
        if (code === 'ERR_BAD_ARGUMENT') {
          expect(
            model.includes(',') || voice.includes(','),
            'only an alias with "," is refused by the builder alone',
          ).to.equal(true);
          return;
        }
        expect(code).to.equal(codeOf(() => formatMessage(plain())));
        if (code) return;
        expect(sent(synthStart(model, voice, text))).to.equal(sent(plain()));
        expect(sent(synthStart(model, voice, text))).to.equal(`SYNTH_START|${model}|${voice}|${text}\n`);
      }),
    );
    expect(sent(modelAdd('mei', 'm.pmd', [0, 1e-7, -0], [1e21, 2.5, 3], 'ON'))).to.equal(
      'MODEL_ADD|mei|m.pmd|0,0.0000001,0|1000000000000000000000,2.5,3|ON\n',
    );
  });

  it('a built message changed after building is checked again, never sent with its old line', () => {
    const m = synthStart('mei', 'normal', 'hello');
    m.args[2] = 'a|b';
    expect(codeOf(() => formatMessage(m))).to.equal('ERR_PIPE_IN_FIELD');
    m.args[2] = 'bye';
    expect(sent(m)).to.equal('SYNTH_START|mei|normal|bye\n');
    m.args.push('');
    expect(codeOf(() => formatMessage(m))).to.equal('ERR_EMPTY_ARGUMENT');
    m.args.pop();
    m.type = 'SNDSTRM';
    expect(codeOf(() => formatMessage(m))).to.equal('ERR_SND_PREFIX');
    const n = synthStart('mei', 'normal', 'hello');
    n.args = ['x', 'y\r'];
    expect(codeOf(() => sent(n))).to.equal('ERR_FORBIDDEN_CHAR');
    n.args = ['x', 'y'];
    expect(sent(n)).to.equal('SYNTH_START|x|y\n');
  });
});

describe('parseEvent', () => {
  it('names and types the fields of recorded frames (real-client/transcripts.md)', () => {
    expect(parse('MOTION_EVENT_DELETE|0|act')).to.deep.equal({
      type: 'MOTION_EVENT_DELETE',
      known: true,
      args: ['0', 'act'],
      modelAlias: '0',
      motionAlias: 'act',
    });
    expect(parse('CURRENT_TIME|11|40')).to.deep.include({ known: true, hour: 11, minute: 40 });
    expect(parse('AVATAR_EVENT_IDLE|START')).to.deep.include({ known: true, state: 'START' });
    expect(parse('CAMERA|0,15.25,0|4.5,0,0|22.4|27.0')).to.deep.include({
      form: 'parameters',
      position: [0, 15.25, 0],
      rotation: [4.5, 0, 0],
      distance: 22.4,
      fovy: 27,
    });
    expect(parse('MOTION_ADD|0|base|motions/wait/01_Wait.vmd|FULL|LOOP|ON|OFF')).to.deep.include({
      range: 'FULL',
      repeat: 'LOOP',
      smooth: 'ON',
      reposition: 'OFF',
    });
    expect(parse('MENU|SETITEM|Gene|0|頬なし|MODEL_BINDFACE|0|頬全消し|1')).to.deep.include({
      form: 'SETITEM',
      sub: 'SETITEM',
      menuAlias: 'Gene',
      id: 0,
      label: '頬なし',
      messageType: 'MODEL_BINDFACE',
      messageArgs: '0|頬全消し|1',
    });
    expect(parse('MENU_EVENT|SETITEM|Gene|5')).to.deep.include({ form: 'SETITEM/DELETEITEM', id: 5 });
    expect(parse('MENU_EVENT|ADD|Gene')).to.deep.include({ form: 'ADD/DELETE', menuAlias: 'Gene' });
    expect(parse('STAGE|images/floor_green.png,images/back_white.png')).to.deep.include({
      form: 'images',
      floorAndBackImages: ['images/floor_green.png', 'images/back_white.png'],
    });
    expect(parse('LIPSYNC_START|0|k,95,o,105')).to.deep.include({
      sequence: [
        { phoneme: 'k', ms: 95 },
        { phoneme: 'o', ms: 105 },
      ],
    });
    expect(parse('PLUGIN_EVENT_ENABLE|Remote')).to.deep.include({ known: true, pluginName: 'Remote' });
    expect(parse('SYNTH_START|0|mei_voice_normal|はい。')).to.deep.include({
      modelAlias: '0',
      voiceAlias: 'mei_voice_normal',
      text: 'はい。',
    });
  });

  it('tells forms apart by count, first word and shape', () => {
    expect(parse('CAMERA|camera/pan.vmd')).to.deep.include({ form: 'motion', cameraMotionFile: 'camera/pan.vmd' });
    expect(parse('STAGE|stage/room/room.pmd')).to.deep.include({ form: 'model', stageModel: 'stage/room/room.pmd' });
    expect(parse('MODEL_EVENT_BINDFACE|Smile|mei|smile')).to.deep.include({ form: 'keyvalue', keyName: 'Smile' });
    expect(parse('VALUE_SET|dice|1|6')).to.deep.include({ form: 'random', min: 1, max: 6 });
    expect(parse('VALUE_SET|v|hello')).to.deep.include({ form: 'value', value: 'hello' });
    expect(parse('RECOG_MODIFY|USERDICT_UNSET')).to.deep.include({ form: 'USERDICT_UNSET', what: 'USERDICT_UNSET' });
  });

  it('keeps `rest` whole and gives variadic items as an array', () => {
    expect(parse('VALUE_EVENT_GET|dice|1|6')).to.deep.include({ value: '1|6' });
    expect(parse('PROMPT_SHOW|Q|a')).to.deep.include({ item0: 'a', itemN: [] });
    expect(parse('PROMPT_SHOW|Q|a|b|c')).to.deep.include({ item0: 'a', itemN: ['b', 'c'] });
    expect(parse('PROMPT_EVENT_SELECTED|-1')).to.deep.include({ index: -1 });
  });

  it('reports unknown types and malformed messages with a reason instead of throwing', () => {
    expect(parse('FOO_BAR|1|2')).to.deep.equal({
      type: 'FOO_BAR',
      known: false,
      args: ['1', '2'],
      reason: 'unknown message type "FOO_BAR"',
    });
    const cases: [string, string][] = [
      ['MOTION_ADD|0|a|b.vmd|SOMETIMES', 'FULL or PART'],
      ['MODEL_ADD|mei', 'at least 2'],
      ['MODEL_DELETE|a|b', 'at most 1'],
      ['CURRENT_TIME|eleven|40', 'expected a number'],
      ['PROMPT_EVENT_SELECTED|1.5', 'expected a number'],
      ['MOVE_START|0|1,2', '3 comma-separated'],
      ['MOVE_START|0|1,x,2', 'expected numbers'],
      ['INFOTEXT_STRING|t|T|OK|1|red', 'RRGGBB'],
      ['CAMERA|a|b', 'form parameters'],
    ];
    for (const [text, reason] of cases) {
      const ev = parse(text);
      expect(ev.known, text).to.equal(false);
      expect((ev as UnknownEvent).reason, text).to.contain(reason);
      expect(ev.args).to.deep.equal(parseMessage(text).args);
    }
  });

  it('never throws, whatever the message (property)', () => {
    const types = fc.oneof(fc.constantFrom(...CATALOG.map((e) => e.name)), fc.string({ minLength: 1 }));
    fc.assert(
      fc.property(
        types,
        fc.array(fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('0', '1,2,3', 'ON', 'FULL', '-1.5', 'ff00ff')), {
          maxLength: 12,
        }),
        (type, args) => {
          const ev = parseEvent({ type, args });
          expect(ev.type).to.equal(type);
          expect(ev.args).to.equal(args);
          if (!ev.known) expect(ev.reason).to.be.a('string');
        },
      ),
    );
  });
});

describe('a field has the same type in a command, its echo and its events (issue 12 item 7)', () => {
  it('VALUE_EVENT_EVAL gives its value as a number, like the VALUE_EVAL echo', () => {
    const echo = parse('VALUE_EVAL|count|GE|10');
    const event = parse('VALUE_EVENT_EVAL|count|GE|10|TRUE');
    expect(echo).to.deep.include({ value: 10 });
    expect(event).to.deep.include({ value: 10, result: 'TRUE' });
    if (event.known && event.type === 'VALUE_EVENT_EVAL')
      expect(line(valueEval(event.variableAlias, event.operator, event.value))).to.equal('VALUE_EVAL|count|GE|10');
    expect(parse('VALUE_EVENT_EVAL|count|GE|ten|FALSE').known).to.equal(false);
  });

  it('LIPSYNC_START gives { phoneme, ms } pairs, which lipsyncStart takes back (so does the flat list)', () => {
    const recorded = 'LIPSYNC_START|0|sil,187,k,95,o,105';
    const ev = parse(recorded);
    if (!ev.known || ev.type !== 'LIPSYNC_START') throw new Error('not known');
    expect(ev.sequence).to.deep.equal([
      { phoneme: 'sil', ms: 187 },
      { phoneme: 'k', ms: 95 },
      { phoneme: 'o', ms: 105 },
    ]);
    expect(line(lipsyncStart(ev.modelAlias, ev.sequence))).to.equal(recorded);
    expect(line(lipsyncStart('0', ['sil', 187, 'k', 95, 'o', 105]))).to.equal(recorded);
    throws(() => lipsyncStart('0', [{ phoneme: 'a', ms: Number.NaN }]), 'ERR_BAD_ARGUMENT', 'finite');
    throws(() => lipsyncStart('0', [{ phoneme: 'a,b', ms: 10 }]), 'ERR_BAD_ARGUMENT', '","');
    expect((parse('LIPSYNC_START|0|a,100,b') as UnknownEvent).reason).to.contain('phoneme,milliseconds pairs');
  });

  it('TEXTAREA_ADD gives textParams as numbers, as textareaAdd takes them', () => {
    const ev = parse('TEXTAREA_ADD|board|10,5|1.2,1,1,1|0,0,0,0.5|1,1,1,1|0,20,0');
    if (!ev.known || ev.type !== 'TEXTAREA_ADD') throw new Error('not known');
    expect(ev.textParams).to.deep.equal([1.2, 1, 1, 1]);
    expect(
      line(textareaAdd(ev.textareaAlias, ev.size, ev.textParams, ev.backgroundColor, ev.textColor, ev.position)),
    ).to.equal('TEXTAREA_ADD|board|10,5|1.2,1,1,1|0,0,0,0.5|1,1,1,1|0,20,0');
    const untyped = textareaAdd as unknown as (...a: unknown[]) => unknown;
    throws(() => untyped('b', [0, 0], ['1', '1', '1'], [0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0]), 'ERR_BAD_ARGUMENT');
    throws(() => untyped('b', [0, 0], [1, 1], [0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0]), 'ERR_BAD_ARGUMENT', '3 or 4');
    expect(parse('TEXTAREA_ADD|b|0,0|1,1|0,0,0,0|1,1,1,1|0,0,0').known).to.equal(false);
  });

  it('every argument an event shares by name with its command has the same kind', () => {
    // A plugin can report itself under any name; PLUGIN_ENABLE takes only the plugins MMDAgent-EX ships.
    const wider = ['PLUGIN_EVENT_ENABLE.pluginName', 'PLUGIN_EVENT_DISABLE.pluginName'];
    const messages = CATALOG.filter((e) => e.kind === 'message');
    const differ: string[] = [];
    let compared = 0;
    for (const ev of messages.filter((e) => e.direction === 'event')) {
      const command = ev.name.replace('_EVENT_', '_').replace(/_EVENT$/, '');
      for (const cmd of messages.filter((e) => e.direction === 'command' && e.name === command))
        for (const a of ev.args) {
          const b = cmd.args.find((x) => x.name === a.name);
          if (!b) continue;
          compared++;
          if (kindOf(a.type).ts !== kindOf(b.type).ts) differ.push(`${ev.name}.${a.name}`);
        }
    }
    expect(compared).to.be.above(50);
    expect(differ).to.deep.equal(wider);
  });
});

describe('catalog types', () => {
  it('type-level checks (compiled by tsc -p tsconfig.test.json)', () => {
    // Never run: each @ts-expect-error line must fail to compile, or tsc reports it.
    const checks = (ev: AgentEvent | UnknownEvent) => {
      // @ts-expect-error a wrong enum word
      motionAdd('mei', 'm', 'a.vmd', 'FULL', 'TWICE');
      // @ts-expect-error a missing argument
      synthStart('mei', 'voice');
      // @ts-expect-error an optional argument given without the one before it
      modelAdd('mei', 'a.pmd', undefined, [0, 0, 0]);
      // @ts-expect-error a vector of the wrong length
      modelAdd('mei', 'a.pmd', [0, 0]);
      // @ts-expect-error a number where a string is due
      synthStart('mei', 'voice', 3);
      if (ev.known) {
        switch (ev.type) {
          case 'MOTION_EVENT_DELETE':
            return ev.motionAlias;
          // @ts-expect-error a misspelled event type
          case 'MOTION_EVENT_DELETED':
            return '';
          case 'CURRENT_TIME': {
            const hour: number = ev.hour;
            return hour;
          }
        }
        // @ts-expect-error a misspelled type in a comparison
        if (ev.type === 'SYNTH_EVENT_STOPP') return '';
        if (ev.type === 'CAMERA' && ev.form === 'motion') return ev.cameraMotionFile;
      }
      if (ev.known && ev.type === 'VALUE_EVENT_EVAL') {
        const value: number = ev.value;
        valueEval(ev.variableAlias, ev.operator, value);
      }
      if (ev.known && ev.type === 'LIPSYNC_START') {
        const first: { phoneme: string; ms: number } = ev.sequence[0];
        lipsyncStart(ev.modelAlias, ev.sequence);
        lipsyncStart(ev.modelAlias, [first.phoneme, first.ms]);
      }
      if (ev.known && ev.type === 'TEXTAREA_ADD') {
        const size: number = ev.textParams[0];
        textareaAdd('t', [0, 0], ev.textParams, [0, 0, 0, 0], [1, 1, 1, size], [0, 0, 0]);
      }
      // @ts-expect-error text parameters are numbers
      textareaAdd('t', [0, 0], ['1', '1', '1'], [0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0]);
      const k: KnownMessageType = 'MODEL_ADD';
      const c: CommandType = 'SYNTH_START';
      const e: EventType = 'SYNTH_EVENT_STOP';
      // @ts-expect-error an event is not a command
      const wrong: CommandType = 'SYNTH_EVENT_STOP';
      const args: MessageArgsMap['MODEL_ADD'] = ['mei', 'a.pmd', '0,0,0'];
      // @ts-expect-error the first argument is required
      const none: MessageArgsMap['MODEL_DELETE'] = [];
      return [k, c, e, wrong, args, none];
    };
    expect(typeof checks).to.equal('function');
  });
});
