// Start-up traffic of the example content (mmdagent-ex/example with Gene), as recorded on the
// first connection of the real app: [ms after the 101, line] (real-client/transcripts.md part1 #0).
// The simulator sends these lines only; the state they describe (model `0` with its looping `base`
// motion) is already in place.
const MENU = [
  ['頬なし', '頬全消し', '1'],
  ['頬あり', '頬全消し', '0'],
  ['メッシュなし', 'メッシュなし', '1'],
  ['メッシュあり', 'メッシュなし', '0'],
  ['髪留なし', '髪留なし', '1'],
  ['髪留あり', '髪留なし', '0'],
];

export const EXAMPLE_STARTUP: ReadonlyArray<readonly [number, string]> = [
  ...['Variables', 'Open_JTalk', 'TextArea', 'VIManager'].map((p) => [25, `PLUGIN_EVENT_ENABLE|${p}`] as const),
  [25, 'STAGE|images/floor_green.png,images/back_white.png'],
  [25, 'MODEL_ADD|0|gene/Gene_light.pmd'],
  [226, 'PLUGIN_EVENT_ENABLE|Flite_plus_hts_engine'],
  [226, 'PLUGIN_EVENT_ENABLE|Audio'],
  [226, 'MODEL_EVENT_ADD|0'],
  [226, 'MENU|ADD|Gene'],
  ...MENU.map(
    ([label, morph, on], i) => [226, `MENU|SETITEM|Gene|${i}|${label}|MODEL_BINDFACE|0|${morph}|${on}`] as const,
  ),
  [227, 'MENU_EVENT|ADD|Gene'],
  ...MENU.map((_, i) => [227, `MENU_EVENT|SETITEM|Gene|${i}`] as const),
  [228, 'MOTION_ADD|0|base|motions/wait/01_Wait.vmd|FULL|LOOP|ON|OFF'],
  [238, 'CAMERA|0,15.25,0|4.5,0,0|22.4|27.0'],
  [238, 'MOTION_EVENT_ADD|0|base'],
  [369, 'PLUGIN_EVENT_ENABLE|Remote'],
];
