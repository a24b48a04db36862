META
key;value
description;Hand-made: a district budget under greedy, with a skipped project
country;Nowhere
unit;Testville
instance;2026
num_projects;5
num_votes;9
budget;100000
vote_type;approval
rule;greedy
currency;EUR
min_length;1
max_length;3
PROJECTS
project_id;cost;votes;name;selected
1;60000;6;"Playground; with a fence";1
2;50000;5;Bike lanes;0
3;30000;4;"Trees on ""Main"" street";1
4;10000;3;Benches;1
5;5000;0;Never on the ballot;0
VOTES
voter_id;vote;age;sex
v1;1,2,3;34;F
v2;1,2;51;M
v3;1,3;27;F
v4;1,2,4;45;M
v5;1,3;19;F
v6;1,2;70;M
v7;2,3,4;38;F
v8;4;44;M
v9;;29;F
