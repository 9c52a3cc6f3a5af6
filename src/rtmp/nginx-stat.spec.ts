import { describe, expect, it } from 'vitest';
import { parseNginxStat } from './nginx-stat.js';

// Shape of nginx-rtmp 1.2.x `rtmp_stat all` with one audio-only publisher and one player.
const STAT = `<?xml version="1.0" encoding="utf-8" ?>
<rtmp>
<nginx_version>1.22.1</nginx_version><nginx_rtmp_version>1.1.4</nginx_rtmp_version><compiler>gcc</compiler>
<built>Jan  1 2024 00:00:00</built><pid>1</pid><uptime>42</uptime><naccepted>3</naccepted>
<bw_in>131000</bw_in><bytes_in>500000</bytes_in><bw_out>129000</bw_out><bytes_out>400000</bytes_out>
<server><application><name>live</name><live>
<stream><name>Pq0Zr8yTgW3kHn5VbX1eAa</name><time>12500</time><bw_in>131000</bw_in><bytes_in>200000</bytes_in>
<bw_out>129000</bw_out><bytes_out>150000</bytes_out><bw_audio>131000</bw_audio><bw_video>0</bw_video>
<client><id>5</id><address>172.17.0.1</address><time>12600</time><flashver>FMLE/3.0</flashver><dropped>0</dropped>
<avsync>0</avsync><timestamp>12480</timestamp><publishing/><active/></client>
<client><id>6</id><address>172.17.0.1</address><time>3000</time><flashver>LNX 9,0,124,2</flashver><dropped>0</dropped>
<avsync>0</avsync><timestamp>12480</timestamp><active/></client>
<meta><audio><codec>AAC</codec><profile>LC</profile><channels>1</channels><sample_rate>44100</sample_rate></audio></meta>
<nclients>2</nclients><publishing/><active/></stream>
<stream><name>idle-player-only</name><time>100</time><bw_in>0</bw_in><bw_out>0</bw_out><nclients>1</nclients></stream>
<nclients>3</nclients></live></application></server>
</rtmp>`;

describe('parseNginxStat', () => {
  it('reports publishers (by the identity Wave gives their stream names), bitrates, codecs and clients', () => {
    // Wave maps the name nginx renamed the stream to back to the key, shown masked.
    const stats = parseNginxStat(STAT, (name) => ({ publisherId: name, stream: name === 'Pq0Zr8yTgW3kHn5VbX1eAa' ? '****1b2d' : '?' }));
    expect(stats).toEqual({
      nginxVersion: '1.22.1',
      uptimeSeconds: 42,
      connectionsAccepted: 3,
      bitrateIn: 131000,
      bitrateOut: 129000,
      clients: 3,
      publishers: [
        {
          stream: '****1b2d',
          publisherId: 'Pq0Zr8yTgW3kHn5VbX1eAa',
          application: 'live',
          clientId: 5,
          address: '172.17.0.1',
          publishingSeconds: 13,
          bitrateIn: 131000,
          bitrateOut: 129000,
          clients: 2,
          videoCodec: undefined,
          audioCodec: 'AAC',
        },
      ],
    });
    expect(JSON.stringify(stats)).not.toContain('dj-anna-7f3c9a1b2d');
  });

  it('reads an idle server', () => {
    const idle =
      '<rtmp><uptime>5</uptime><naccepted>0</naccepted><bw_in>0</bw_in><bw_out>0</bw_out><server><application><name>live</name><live><nclients>0</nclients></live></application></server></rtmp>';
    expect(parseNginxStat(idle)).toMatchObject({ uptimeSeconds: 5, clients: 0, publishers: [] });
  });
});
