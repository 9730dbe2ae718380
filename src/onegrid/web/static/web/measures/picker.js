/* The period picker of the measures pages: of its fields (month, week, quarter, year, first
   and last day) only the chosen kind's is shown and sent, so the address stays short and says
   one period. Without this script every field shows and the server reads the chosen kind's
   (`period=`) alone. */

export function wirePeriodPicker(doc = document) {
  const picker = doc.getElementById("period-picker");
  if (!picker) return;
  const update = () => {
    const chosen = picker.querySelector('input[name="period"]:checked');
    const kind = chosen ? chosen.value : "month";
    for (const label of picker.querySelectorAll("[data-period-field]")) {
      const on = label.dataset.periodField === kind;
      label.hidden = !on;
      for (const input of label.querySelectorAll("input")) input.disabled = !on;
    }
  };
  picker.addEventListener("change", update);
  update();
}

wirePeriodPicker();
