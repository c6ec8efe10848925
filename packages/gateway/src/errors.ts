// The error type lives in the shared contract; the gateway's modules import it from here.
export { GatewayError, badRequest, isGatewayError, type ErrorType, type GatewayErrorInit } from '@portico/contract';
