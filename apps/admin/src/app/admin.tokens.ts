/** The validated config, for providers that need more than their own options. */
export const ADMIN_CONFIG = Symbol('ADMIN_CONFIG');

/** The bus the kill switch publishes to: Kafka from KAFKA_BROKERS, or null (switching refused). */
export const ADMIN_EVENT_BUS = Symbol('ADMIN_EVENT_BUS');

/** The dead letters read from Kafka, or null without KAFKA_BROKERS. */
export const DEAD_LETTER_INDEX = Symbol('DEAD_LETTER_INDEX');
