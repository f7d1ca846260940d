// FreeSora: a storyboard's shot list as the timeline reads and writes it, without the DOM.
// The text form is schemas/shots.py's (one shot a line, `SECONDS | scene`, the first `|`
// separates, blank lines skipped, seconds in tenths); the queue-time check there is the one
// that refuses. Here a bad line is only pointed out, and a drag rewrites only the seconds of
// the two shots it touches: every other character the user typed stays as typed.
// Durations are kept in tenths of a second (integers), so sums never drift.

export const FORM = "SECONDS | scene";

/**
 * A text in English with its {blanks} filled, the way freesora_i18n.js's t() fills a
 * translation: the words here take the translator as their last argument (the timeline passes
 * t(); this file stays free of the frontend, so Node runs it as it is).
 */
export const english = (key, text, vars = {}) =>
  text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
const LINE_END = /\r\n|\r|\n/;
const SECONDS = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

/** Tenths of a second in a text like `5`, `2.5`, `.5`, or null (not tenths, not a number). */
export function tenthsOf(text) {
  if (!SECONDS.test(text)) return null;
  const [whole, fraction = ""] = text.split(".");
  if (/[1-9]/.test(fraction.slice(1))) return null; // 2.55: finer than a tenth
  return Number(whole || "0") * 10 + Number(fraction[0] || "0");
}

export const secondsText = (tenths) => (tenths % 10 === 0 ? String(tenths / 10) : (tenths / 10).toFixed(1));

/**
 * {shots: [{line, tenths, scene}], problems: [{line, text}]} of a shot list; `line` is the
 * 1-based line number. `limits` ({min, max} seconds of one shot) come from the Shot Builder's
 * definition; without them a duration is only checked to be positive.
 */
export function parseShotList(text, limits = {}, t = english) {
  const shots = [];
  const problems = [];
  const [min, max] = [Math.round((limits.min ?? 0.1) * 10), Math.round((limits.max ?? Infinity) * 10)];
  String(text ?? "").split(LINE_END).forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    const bar = raw.indexOf("|");
    if (bar < 0) {
      problems.push({ line, text: t("timeline.notForm", "line {line} is not {form}", { line, form: FORM }) });
      return;
    }
    const tenths = tenthsOf(raw.slice(0, bar).trim());
    if (tenths === null || tenths < min || tenths > max) {
      const range = Number.isFinite(max)
        ? t("timeline.range", "{min} to {max} s", { min: min / 10, max: max / 10 })
        : t("timeline.seconds", "seconds");
      problems.push({ line, text: t("timeline.badSeconds", "line {line}: SECONDS must be {range} in tenths", { line, range }) });
      return;
    }
    const scene = raw.slice(bar + 1).trim();
    if (!scene) {
      problems.push({ line, text: t("timeline.emptyScene", "line {line}: the scene after {bar} is empty", { line, bar: "|" }) });
      return;
    }
    shots.push({ line, tenths, scene });
  });
  return { shots, problems };
}

/** `text` with the seconds of some lines replaced: {lineNumber: tenths}. */
export function withDurations(text, durations) {
  const ends = String(text).match(/\r\n|\r|\n/g) ?? [];
  const lines = String(text).split(LINE_END).map((raw, index) => {
    const tenths = durations[index + 1];
    if (tenths === undefined) return raw;
    const bar = raw.indexOf("|");
    const after = raw.slice(bar + 1);
    return `${secondsText(tenths)} |${after.startsWith(" ") ? "" : " "}${after}`;
  });
  return lines.map((line, index) => line + (ends[index] ?? "")).join("");
}

/**
 * Where the boundary after shot `index` lands when dragged to `seconds` on the timeline: on a
 * whole second, each of the two shots at least `floor` s (1 s) and at most `max` s. Returns
 * [tenths of shot index, tenths of shot index + 1], or null when no whole second fits.
 */
export function dragBoundary(shots, index, seconds, { floor = 1, max = Infinity } = {}) {
  const left = shots[index];
  const right = shots[index + 1];
  if (!left || !right) return null;
  const start = shots.slice(0, index).reduce((sum, shot) => sum + shot.tenths, 0);
  const end = start + left.tenths + right.tenths;
  const cap = Number.isFinite(max) ? Math.round(max * 10) : Infinity;
  const low = Math.max(start + floor * 10, end - cap);
  const high = Math.min(end - floor * 10, start + cap);
  const [first, last] = [Math.ceil(low / 10) * 10, Math.floor(high / 10) * 10];
  if (first > last) return null;
  const boundary = Math.min(last, Math.max(first, Math.round(seconds) * 10));
  return [boundary - start, end - boundary];
}

/** The clip lengths that hold `tenths` of shots, shortest first. */
export const lengthsHolding = (lengths, tenths) => lengths.filter((length) => length * 10 >= tenths);

/** `15 or 25`, `10, 15 or 25`. */
export function either(values, t = english) {
  const words = values.map(String);
  if (words.length < 2) return words[0] ?? "";
  return t("timeline.either", "{some} or {last}", { some: words.slice(0, -1).join(t("timeline.comma", ", ")), last: words.at(-1) });
}

/**
 * What the timeline says about a total of `tenths`: {level, summary, advice}, level "ok",
 * "warn" or "over". `length` is the chosen clip length and `lengths` every length offered (s).
 */
export function verdict(tenths, length, lengths, t = english) {
  if (tenths === 0) return { level: "warn", summary: "", advice: t("timeline.noShots", "No shots yet: write one a line as {form}.", { form: FORM }) };
  const used = t("timeline.used", "{used} of {length} s", { used: secondsText(tenths), length });
  if (tenths <= length * 10) {
    return { level: "ok", summary: t("timeline.left", "{used} · {left} s left", { used, left: secondsText(length * 10 - tenths) }), advice: "" };
  }
  const holding = lengthsHolding(lengths, tenths);
  const fix = holding.length
    ? t("timeline.chooseLength", "choose n_frames {lengths} (longer clips cost more), or shorten the shots", { lengths: either(holding, t) })
    : t("timeline.tooLong", "longer than the longest clip ({longest} s): shorten the shots", { longest: Math.max(...lengths) });
  return {
    level: "over",
    summary: t("timeline.over", "{used} · {over} s over", { used, over: secondsText(tenths - length * 10) }),
    advice: t("timeline.refused", "Run will refuse this: {fix}.", { fix }),
  };
}
