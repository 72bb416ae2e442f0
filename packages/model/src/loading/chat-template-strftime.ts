/**
 * transformers' strftime_now(format) for chat templates (Llama 3.x puts today's date in the system prompt): the
 * local time formatted with the strftime directives such templates use (%Y %m %d %b %B %H %M %%), as
 * @huggingface/jinja does; other directives are kept as written.
 */
export function strftimeNow(format: string, date: Date = new Date()): string {
  const pad2 = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBHM%]/g, (directive) => {
    switch (directive) {
      case '%Y': return String(date.getFullYear());
      case '%m': return pad2(date.getMonth() + 1);
      case '%d': return pad2(date.getDate());
      case '%b': return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(date);
      case '%B': return new Intl.DateTimeFormat(undefined, { month: 'long' }).format(date);
      case '%H': return pad2(date.getHours());
      case '%M': return pad2(date.getMinutes());
      default: return '%';
    }
  });
}
