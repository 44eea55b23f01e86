/**
 * The address the start-up line gives: APP_URL when it names this server (its public address,
 * behind a proxy too), else http://localhost:<the port bound>. An APP_URL on localhost with
 * another port is something else (a front end's dev server, say), and APP_URL's default is
 * worked out from PORT, which is 0 when the system picks the port.
 */
export function listeningUrl(appUrl: string, port: number): string {
  const own = `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(appUrl);
  } catch {
    return own;
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const urlPort = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (local && urlPort !== String(port)) return own;
  return appUrl.replace(/\/+$/, '');
}
