import { type FeedTargeting } from './feed.service';

const PLATFORMS = ['ios', 'android', 'web'] as const;

/** Raw targeting values as received (a header or query parameter each); empty counts as not sent. */
export type RawTargeting = Partial<Record<keyof FeedTargeting, string>>;

/**
 * Checks each targeting value: a bad one is a problem naming where it came from (`nameOf`), never silently
 * left untargeted. Shared by homeFeed's headers and the explain route's query parameters.
 */
export function parseTargeting(
  raw: RawTargeting,
  nameOf: (field: keyof FeedTargeting) => string,
): { targeting: FeedTargeting; problems: string[] } {
  const targeting: FeedTargeting = {};
  const problems: string[] = [];
  const { sessionId, country, platform, appVersion } = raw;
  if (sessionId) {
    if (/^[\w.:-]{1,128}$/.test(sessionId)) targeting.sessionId = sessionId;
    else problems.push(`${nameOf('sessionId')} must be 1-128 letters, digits or . _ : -`);
  }
  if (country) {
    if (/^[A-Za-z]{2}$/.test(country)) targeting.country = country.toUpperCase();
    else problems.push(`${nameOf('country')} must be two letters (an ISO 3166-1 alpha-2 country code)`);
  }
  if (platform) {
    const known = PLATFORMS.find((p) => p === platform.toLowerCase());
    if (known) targeting.platform = known;
    else problems.push(`${nameOf('platform')} must be one of ${PLATFORMS.join(', ')}`);
  }
  if (appVersion) {
    if (/^\d{1,6}(\.\d{1,6}){0,3}([-+][0-9A-Za-z.-]{1,32})?$/.test(appVersion))
      targeting.appVersion = appVersion;
    else problems.push(`${nameOf('appVersion')} must be a version such as 4.12.0`);
  }
  return { targeting, problems };
}
