// Times as the Chat view shows them: clock times for messages, and seconds left for waits
// (a flood wait, a pairing code), counted down locally between the host's updates.

/** Whole seconds left until `until` (ms since the epoch), never below 0. */
export function secondsLeft(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / 1000));
}

/** "45 s", "2 min 05 s", "1 h 03 min"; "a moment" at 0. */
export function formatWait(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  if (total === 0) return "a moment";
  if (total < 60) return `${total} s`;
  if (total < 3600) return `${Math.floor(total / 60)} min ${pad(total % 60)} s`;
  return `${Math.floor(total / 3600)} h ${pad(Math.floor((total % 3600) / 60))} min`;
}

/** Formatters are costly to make and a page of history needs hundreds of dates. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, made);
  }
  return made;
}

/** "14:05" for today, "3 Mar 14:05" this year, "3 Mar 2023 14:05" before; `date` in seconds. */
export function formatClock(date: number, now: number, locale?: string): string {
  const when = new Date(date * 1000);
  const today = new Date(now);
  const time = formatter(locale, { hour: "2-digit", minute: "2-digit" }).format(when);
  if (sameDay(when, today)) return time;
  const day: Intl.DateTimeFormatOptions = { day: "numeric", month: "short" };
  if (when.getFullYear() !== today.getFullYear()) day.year = "numeric";
  return `${formatter(locale, day).format(when)} ${time}`;
}

/** Date and time in full, for a message time's tooltip. */
export function formatFull(date: number, locale?: string): string {
  return formatter(locale, { dateStyle: "full", timeStyle: "short" }).format(new Date(date * 1000));
}

/** The day a message was sent, for the dividers: "Today", "Yesterday", or the date. */
export function dayLabel(date: number, now: number, locale?: string): string {
  const when = new Date(date * 1000);
  const today = new Date(now);
  if (sameDay(when, today)) return "Today";
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (sameDay(when, yesterday)) return "Yesterday";
  const options: Intl.DateTimeFormatOptions = { weekday: "long", day: "numeric", month: "long" };
  if (when.getFullYear() !== today.getFullYear()) options.year = "numeric";
  return formatter(locale, options).format(when);
}

/** A key for the calendar day of `date` (seconds), in local time. */
export function dayKey(date: number): string {
  const when = new Date(date * 1000);
  return `${when.getFullYear()}-${when.getMonth() + 1}-${when.getDate()}`;
}

export function isoTime(date: number): string {
  return new Date(date * 1000).toISOString();
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}
