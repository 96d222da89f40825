#!/usr/bin/env python3
"""Checks Prometheus text exposition (format 0.0.4) on stdin against the
rules `promtool check metrics` and the Prometheus parser apply:

- HELP and TYPE lines come before the family's samples, once each, and
  name a valid metric; TYPE is one of counter, gauge, histogram, summary,
  untyped;
- a family's samples are contiguous (no family appears twice);
- metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  [a-zA-Z_][a-zA-Z0-9_]* and do not start with __;
- label values are double-quoted with only \\\\, \\" and \\n escapes, valid
  UTF-8, and no label repeats within a sample;
- values are floats (or NaN, +Inf, -Inf); no series appears twice;
- counters end in _total (promtool's lint), gauges do not.

Prints one line per problem and exits 1, or prints "ok FAMILIES SAMPLES".
"""
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def parse_labels(s, i, line):
    """Parses {a="b",...} from s[i] == '{'; returns (labels, next index)."""
    labels = {}
    i += 1
    while True:
        if s[i] == '}':
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ValueError('bad label name at %d' % i)
        name = m.group(0)
        if name.startswith('__'):
            raise ValueError('reserved label name %s' % name)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError('expected =" after label %s' % name)
        i += 2
        value = []
        while True:
            c = s[i]
            if c == '\\':
                e = s[i + 1]
                if e not in '\\"n':
                    raise ValueError('bad escape \\%s in label %s' % (e, name))
                value.append({'\\': '\\', '"': '"', 'n': '\n'}[e])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                raise ValueError('raw newline in label %s' % name)
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ValueError('label %s repeated' % name)
        labels[name] = ''.join(value)
        if s[i] == ',':
            i += 1
        elif s[i] != '}':
            raise ValueError('expected , or } after label %s' % name)


def family_of(name, types):
    for suffix in ('_bucket', '_sum', '_count'):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ('histogram', 'summary'):
            return base
    return name


def check(text):
    problems = []
    helps, types, seen_families, series = {}, {}, [], set()
    current = None
    samples = 0
    raw = text.encode('utf-8', 'surrogateescape')
    try:
        raw.decode('utf-8')
    except UnicodeDecodeError as e:
        problems.append('not UTF-8: %s' % e)
    if text and not text.endswith('\n'):
        problems.append('no newline at the end')
    for n, line in enumerate(text.split('\n')[:-1], 1):
        where = 'line %d' % n
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                name = parts[2]
                if not NAME.fullmatch(name):
                    problems.append('%s: bad metric name %r' % (where, name))
                if name in (seen_families[:-1] if seen_families else []):
                    problems.append('%s: %s %s after its samples ended' %
                                    (where, parts[1], name))
                table = helps if parts[1] == 'HELP' else types
                if name in table:
                    problems.append('%s: second %s for %s' %
                                    (where, parts[1], name))
                if parts[1] == 'TYPE':
                    t = parts[3] if len(parts) > 3 else ''
                    if t not in TYPES:
                        problems.append('%s: bad type %r' % (where, t))
                    if t == 'counter' and not name.endswith('_total'):
                        problems.append('%s: counter %s without _total' %
                                        (where, name))
                    if t != 'counter' and name.endswith('_total'):
                        problems.append('%s: %s %s ends in _total' %
                                        (where, t, name))
                    if any(family_of(s, types) == name for s in seen_families):
                        problems.append('%s: TYPE %s after its samples' %
                                        (where, name))
                    types[name] = t
                else:
                    helps[name] = parts[3] if len(parts) > 3 else ''
            continue
        if line == '':
            continue
        m = NAME.match(line)
        if not m:
            problems.append('%s: bad sample %r' % (where, line))
            continue
        name = m.group(0)
        i = m.end()
        labels = {}
        try:
            if i < len(line) and line[i] == '{':
                labels, i = parse_labels(line + '\n', i, line)
            if i >= len(line) or line[i] != ' ':
                raise ValueError('expected a space before the value')
            fields = line[i + 1:].split(' ')
            if fields[0] not in ('NaN', '+Inf', '-Inf'):
                float(fields[0])
            if len(fields) > 2 or (len(fields) == 2 and
                                   not re.fullmatch(r'-?[0-9]+', fields[1])):
                raise ValueError('bad timestamp')
        except (ValueError, IndexError) as e:
            problems.append('%s: %s: %r' % (where, e, line))
            continue
        fam = family_of(name, types)
        if fam not in types or fam not in helps:
            problems.append('%s: sample of %s before its HELP and TYPE' %
                            (where, fam))
        if current != fam:
            if fam in seen_families:
                problems.append('%s: samples of %s are not together' %
                                (where, fam))
            seen_families.append(fam)
            current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            problems.append('%s: series repeated: %r' % (where, line))
        series.add(key)
        samples += 1
    for fam in types:
        if fam not in helps:
            problems.append('%s has a TYPE but no HELP' % fam)
    return problems, len(types), samples


def main():
    text = sys.stdin.buffer.read().decode('utf-8', 'surrogateescape')
    problems, families, samples = check(text)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print('ok %d %d' % (families, samples))


if __name__ == '__main__':
    main()
