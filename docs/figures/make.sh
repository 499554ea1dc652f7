#!/bin/sh
# The primer's five figures, drawn by diffcli's own commands (README, "Plots").
# Run from anywhere: sh docs/figures/make.sh (with diffcli installed); writes next to itself.
set -eu
cd "$(dirname "$0")"
size="--size 6.4x4.8 --dpi 80"

# (1) the function, (2) its tangents from the numerical derivative
diffcli plot "0.01*x**2+0.1*x" --range 0:20 -o function.png $size
diffcli diff "0.01*x**2+0.1*x" --at 5 --at 10 --plot tangents.png $size >/dev/null

# (3) the surface of x0² + x1²
diffcli plot "x0**2 + x1**2" --range -3:3 --kind surface -o surface.png $size

# (4) −∇f on the primer's grid over −2…2.5 in steps of 0.25 (a range per variable: a grid)
diffcli grad "x0**2 + x1**2" --at x0=-2:2.5:0.25,x1=-2:2.5:0.25 --no-analytic \
    --plot field.png $size >/dev/null

# (5) gradient descent from (−3, 4) with lr = 0.1 over the contour lines
diffcli descend "x0**2 + x1**2" --from -3,4 --lr 0.1 --steps 20 --plot path.png $size >/dev/null
