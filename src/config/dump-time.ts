// Times as keepalived's data dumps write them (local time, microseconds). Pure.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function micros(sec: number): string {
  return String(Math.round((sec - Math.floor(sec)) * 1e6) % 1e6).padStart(6, '0');
}

/** `1796675447.464105`: seconds since the epoch with microseconds (`%ld.%6.6ld`). */
export function epochUs(sec: number): string {
  return `${Math.floor(sec)}.${micros(sec)}`;
}

/** `Mon Dec  7 20:30:47 2026`: ctime_r() without its newline. */
export function ctime(sec: number): string {
  const d = new Date(Math.floor(sec) * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** `Mon Dec  7 20:30:47.464105 2026`, keepalived's ctime_us_r(). */
export function ctimeUs(sec: number): string {
  const c = ctime(sec);
  return `${c.slice(0, 19)}.${micros(sec)}${c.slice(19)}`;
}
