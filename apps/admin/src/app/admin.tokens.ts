/** The validated config, for providers that need more than their own options. */
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');
