META
key;value
description;Hand-made: cumulative ballots of up to 5 points, greedy by points
country;Nowhere
unit;Testville
instance;2026
num_projects;3
num_votes;5
budget;50000
vote_type;cumulative
rule;greedy
max_sum_points;5
PROJECTS
project_id;cost;name;votes;score;selected
A1;30000;Library hours;3;9;0
A2;25000;Skate park;3;10;1
A3;20000;Fountain;2;3;1
VOTES
voter_id;vote;points
1;A2;5
2;A1,A2;4,1
3;A1,A3;3,2
4;A2,A3;4,1
5;A1;2
