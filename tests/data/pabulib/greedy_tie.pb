META
key;value
description;Hand-made: two projects tie in votes and the city ranked the dearer one first
country;Nowhere
unit;Testville
instance;2026
num_projects;3
num_votes;4
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name;selected
x;70;3;Dearer, ranked first;1
y;40;3;Cheaper, ranked second;0
z;30;1;Third;1
VOTES
voter_id;vote
1;x,y
2;x,y
3;x,y,z
4;
