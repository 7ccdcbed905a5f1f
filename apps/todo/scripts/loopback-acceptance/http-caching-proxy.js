// @loopback/http-caching-proxy, as LoopBack's helpers.js uses it to stand in front of the US
// Census geocoder, with its recordings (dist/__tests__/.http-cache, made in May 2022).
//
// By default it is LoopBack's proxy unchanged: a recording older than its 24 h TTL is fetched
// again, so without internet the proxy answers 502, `isGeoCoderServiceAvailable` says no and the
// two address-based cases are skipped, exactly as when LoopBack runs its own suite offline.
// LOOPBACK_ACCEPTANCE_GEOCODER=recorded keeps the recordings fresh forever, so the two cases run
// offline against the recorded answers.
'use strict';
const {lbRequire} = require('./lb');

const real = lbRequire('@loopback/http-caching-proxy');

let HttpCachingProxy = real.HttpCachingProxy;
if (process.env.LOOPBACK_ACCEPTANCE_GEOCODER === 'recorded') {
  HttpCachingProxy = class RecordedHttpCachingProxy extends real.HttpCachingProxy {
    constructor(options) {
      super({...options, ttl: Number.POSITIVE_INFINITY});
    }
  };
}

module.exports = {...real, HttpCachingProxy};
