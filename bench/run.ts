/**
 * Benchmark entry point (`npm run bench`). The full harness (relay vs. direct, streaming at 1 and
 * 32 clients, large bodies, slow first byte, many keys, two instances on Redis) is tracked by the
 * performance issue; until then this prints how to measure by hand.
 */
console.log('The benchmark harness is not built yet (performance issue). Measure by hand with:')
console.log('  wrk -t2 -c32 -d10s -s post.lua http://127.0.0.1:3000/api/v1/messages')
