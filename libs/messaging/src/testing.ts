export { describeEventBusContract, type EventBusContractOptions, eventually } from './lib/event-bus.contract';
