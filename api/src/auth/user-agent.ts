// Browser and OS from a User-Agent, enough to tell a user's sessions apart ("Firefox 128 on Linux").
// A handful of ordered rules instead of a UA database: the order matters because browsers borrow each
// other's tokens (Edge and Opera say Chrome, Chrome says Safari, iOS says "like Mac OS X").

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/\bOPR\/(\d+)/, "Opera"],
  [/\bSamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, "Firefox"],
  [/\b(?:Chrome|CriOS)\/(\d+)/, "Chrome"],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
];

const SYSTEMS: [RegExp, (match: RegExpMatchArray) => string][] = [
  [/\b(?:iPhone|iPad|iPod).*? OS (\d+)/, (m) => `iOS ${m[1]}`],
  [/\bAndroid (\d+)/, (m) => `Android ${m[1]}`],
  [/\bWindows NT/, () => "Windows"],
  [/\bCrOS\b/, () => "ChromeOS"],
  [/\bMac OS X\b/, () => "macOS"],
  [/\bLinux\b/, () => "Linux"],
];

export function describeUserAgent(userAgent: string): { browser: string | null; os: string | null } {
  let browser: string | null = null;
  for (const [pattern, name] of BROWSERS) {
    const match = userAgent.match(pattern);
    if (match) {
      browser = `${name} ${match[1]}`;
      break;
    }
  }
  // Not a browser: name the client by its first product token ("curl/8.5.0" → "curl 8").
  browser ??=
    userAgent
      .match(/^(?!Mozilla\/)([A-Za-z][\w.-]{0,30})\/(\d+)/)
      ?.slice(1, 3)
      .join(" ") ?? null;
  let os: string | null = null;
  for (const [pattern, name] of SYSTEMS) {
    const match = userAgent.match(pattern);
    if (match) {
      os = name(match);
      break;
    }
  }
  return { browser, os };
}
