#!/usr/bin/perl
# baseline.pl - what the classic Perl POP-before-SMTP tools do per line:
# try every login regex on every line and take the ip group. The regexes
# are popgate's own built-in ones (one a line in PATTERNS, printed by
# bench_ingest formats), so both sides do the same matching work.
#   perl baseline.pl PATTERNS LOGFILE   -> "lines=N logins=M"
# Benchmark code only; never run by make test.
use strict;
use warnings;

my ($patterns, $log) = @ARGV;
die "usage: baseline.pl PATTERNS LOGFILE\n" unless defined $log;
open(my $pf, '<', $patterns) or die "$patterns: $!\n";
my @re = map { chomp; qr/$_/ } grep { /\S/ } <$pf>;
close($pf);

my ($lines, $logins, %seen) = (0, 0);
open(my $fh, '<:raw', $log) or die "$log: $!\n";
while (my $line = <$fh>) {
	chomp $line;
	$lines++;
	next if length($line) > 16384;
	for my $re (@re) {
		if ($line =~ $re) {
			$seen{$+{ip}} = time;
			$logins++;
			last;
		}
	}
}
close($fh);
print "lines=$lines logins=$logins\n";
