import { BadGatewayException, HttpException } from '@nestjs/common';

/**
 * feed-api's /internal/* routes (explain, experiments), with FEED_API_OPS_TOKEN. Its answers pass through;
 * its refusals keep their status and message, and an unreachable feed-api is a 502 naming the URL.
 */
export class FeedApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly opsToken: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  async get<T>(path: string, query: Record<string, string | string[] | undefined> = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(query))
      for (const item of [value ?? []].flat()) url.searchParams.append(name, item);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.opsToken ? { authorization: `Bearer ${this.opsToken}` } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new BadGatewayException(
        `feed-api at ${this.baseUrl} did not answer: ${(error as Error).message}`,
      );
    }
    const body = (await response.json().catch(() => null)) as { message?: unknown } | null;
    if (!response.ok) {
      const message = typeof body?.message === 'string' ? body.message : response.statusText;
      const status = response.status === 401 || response.status === 403 ? 502 : response.status;
      throw new HttpException(
        status === 502 ? `feed-api refused admin (${response.status}): ${message}` : message,
        status,
      );
    }
    return body as T;
  }
}
