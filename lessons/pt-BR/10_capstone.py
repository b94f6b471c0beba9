# %% [markdown]
# # 10 · Projeto final: um modelo de preços, da busca à produção
#
# Hora de usar tudo. Com os preços de casas, você vai construir a vida de um modelo: uma
# busca de hiperparâmetros rastreada, um campeão no registro de modelos (Model Registry), um
# modelo servido via REST e um fluxo (flow) do Prefect que retreina e promove só quando o
# novo modelo é melhor. Cada um dos quatro marcos (milestones) termina com uma verificação
# que lê de volta o estado do laboratório (o servidor de rastreamento, o registro de modelos, o log
# do servidor de modelos, a API do Prefect); escreva seu código onde aparece `...`, execute
# a verificação e siga em frente quando ela passar. Cada marco tem uma dica; as soluções comentadas estão em
# `solutions/pt-BR/10_capstone.ipynb`.
#
# **Tempo:** 75 minutos. **Pré-requisitos:** lições 01–07.

# %%
import os

import lab_utils

lab = lab_utils.connect()
# O Prefect registra cada execução de fluxo e de tarefa no notebook; mantenha só os avisos
# (a variável é lida quando o Prefect é importado). Os logs completos ficam na página de
# cada execução de fluxo, na UI do Prefect.
os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"

# %% tags=["parameters"]
experiment_name = "capstone"
model_name = "capstone_precos"

# %% [markdown]
# ## Três conjuntos de casas, três funções
#
# - **treinamento**: a busca ajusta seus candidatos aqui e os compara por validação cruzada de 5
#   dobras (5-fold) dentro dele;
# - **validação**: decide entre um campeão e um desafiante (o critério de promoção, ou
#   gate, do Marco 4);
# - **teste**: nenhuma decisão o vê; ele dá a pontuação do campeão final, uma única vez, no fim.
#
# Uma pontuação usada para escolher é otimista, porque a escolha favorece o que por acaso foi
# bem naquelas casas; só um conjunto mantido fora de todas as escolhas dá uma estimativa
# honesta.

# %%
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV

# O MLflow salva modelos do scikit-learn com o skops, que se recusa a carregar tipos em que
# não foi instruído a confiar: os ensembles de árvores precisam que a classe da árvore seja
# informada.
TREE_TYPES = ["sklearn.tree._tree.Tree"]
# Os requisitos do modelo, fixados (lição 07): assim o `log_model` deixa de inferi-los em um
# novo processo Python, seu passo mais lento.
REQUIREMENTS = mlflow.sklearn.get_default_pip_requirements(include_skops=True)
# As colunas inteiras das casas fazem o `log_model` avisar que inteiros não comportam valores
# ausentes (lição 05). Estas casas não têm nenhum, e as casas servidas também são inteiras:
# silencie o aviso.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")

X_train, X_validation, X_test, y_train, y_validation, y_test = lab_utils.split_train_validation_test()
client = MlflowClient()
experiment = mlflow.set_experiment(experiment_name)


def validation_rmse(model) -> float:
    return float(np.sqrt(mean_squared_error(y_validation, model.predict(X_validation))))


# %% [markdown]
# A marca a superar: um "modelo" que prevê, para toda casa, o preço médio das casas de
# treinamento.

# %% tags=["nbval-check-output"]
baseline_rmse = float(np.sqrt(mean_squared_error(y_validation, np.full(len(y_validation), y_train.mean()))))
print(f"casas: {len(X_train)} treinamento · {len(X_validation)} validação · {len(X_test)} teste")
print(f"RMSE de validação da linha de base (preço médio): {baseline_rmse:,.0f} CAD")

# %% [markdown]
# ## Marco 1 · Uma busca rastreada
#
# Faça uma busca com `GradientBoostingRegressor(random_state=42)` sobre `n_estimators` em
# `[50, 100]` e `max_depth` em `[2, 3]`, com validação cruzada de 5 dobras em `X_train`.
# Rastreie-a como uma execução (run) pai chamada `capstone_search`, com uma execução filha
# aninhada por candidato (seus parâmetros e `cv_rmse`), e, na execução pai: os melhores
# parâmetros, o melhor modelo registrado em log (logged model) como `model` (com um exemplo
# de entrada, `skops_trusted_types=TREE_TYPES` e `pip_requirements=REQUIREMENTS`) e o seu
# `validation_rmse` em `X_validation`.
# Coloque o id da execução pai em `search_run_id`.

# %% tags=["exercise"]
search_run_id = ...  # seu código aqui

# %% tags=["solution"]
search = GridSearchCV(GradientBoostingRegressor(random_state=42),
                      {"n_estimators": [50, 100], "max_depth": [2, 3]},
                      cv=5, scoring="neg_mean_squared_error")
with mlflow.start_run(run_name="capstone_search") as parent:
    search.fit(X_train, y_train)
    for i, candidate in enumerate(search.cv_results_["params"]):
        with mlflow.start_run(run_name=f"gbr_{i}", nested=True):
            mlflow.log_params(candidate)
            mlflow.log_metric("cv_rmse", float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
    mlflow.log_params(search.best_params_)
    mlflow.log_metric("validation_rmse", validation_rmse(search.best_estimator_))
    mlflow.sklearn.log_model(search.best_estimator_, name="model", input_example=X_train.head(3),
                             skops_trusted_types=TREE_TYPES, pip_requirements=REQUIREMENTS)
search_run_id = parent.info.run_id

# %% [markdown]
# <details><summary>Dica</summary>
#
# `GridSearchCV(..., cv=5, scoring="neg_mean_squared_error")`; dentro de
# `mlflow.start_run(run_name="capstone_search")`, um `mlflow.start_run(nested=True)` por
# entrada de `search.cv_results_["params"]` (`cv_rmse` é `sqrt(-mean_test_score[i])`),
# depois `mlflow.sklearn.log_model(search.best_estimator_, name="model", ...)`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(search_run_id, "Milestone 1"):
    parent_run = lab_utils.assert_run_logged(search_run_id, params=["n_estimators", "max_depth"],
                                             metrics=["validation_rmse"])
    assert parent_run.info.run_name == "capstone_search", parent_run.info.run_name
    children = client.search_runs([parent_run.info.experiment_id], f"tags.mlflow.parentRunId = '{search_run_id}'")
    assert len(children) == 4, f"{len(children)} execuções filhas, eram esperadas 4"
    assert all("cv_rmse" in c.data.metrics for c in children), "falta cv_rmse em uma execução filha"
    best_child = min(children, key=lambda c: c.data.metrics["cv_rmse"])
    assert {k: parent_run.data.params[k] for k in best_child.data.params} == best_child.data.params, \
        "os parâmetros da execução pai não são os da filha com o menor cv_rmse"
    logged = mlflow.search_logged_models(experiment_ids=[parent_run.info.experiment_id],
                                         filter_string=f"source_run_id = '{search_run_id}'", output_format="list")
    assert any(m.name == "model" for m in logged), "nenhum modelo registrado em log com o nome `model` nessa execução"
    print("✓ Marco 1: busca rastreada, melhor modelo registrado em log")

# %% [markdown]
# ## Marco 2 · Um campeão documentado
#
# Registre o modelo da busca como `capstone_precos`, dê à versão uma descrição que mencione
# o seu RMSE de validação e aponte o apelido (alias) `champion` para ela. Coloque o número
# da versão (uma string) em `champion_version`.

# %% tags=["exercise"]
champion_version = ...  # seu código aqui

# %% tags=["solution"]
search_model = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id],
                                           filter_string=f"source_run_id = '{search_run_id}'", output_format="list")[0]
registered = mlflow.register_model(search_model.model_uri, model_name)
rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
client.update_model_version(model_name, registered.version,
                            description=f"Gradient boosting from capstone_search; validation RMSE {rmse:,.0f} CAD")
client.set_registered_model_alias(model_name, "champion", registered.version)
champion_version = registered.version

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.register_model(<o model_uri do modelo registrado em log>, model_name)` (encontre-o
# com `mlflow.search_logged_models(..., filter_string="source_run_id = '...'")`), depois
# `client.update_model_version(..., description=...)` e
# `client.set_registered_model_alias(model_name, "champion", version)`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(champion_version, "Milestone 2"):
    champion = lab_utils.assert_model_version(model_name, alias="champion")
    assert champion.version == str(champion_version), f"@champion é a versão {champion.version}"
    assert "RMSE" in (champion.description or ""), "a descrição da versão não menciona o seu RMSE"
    assert champion.run_id == search_run_id, "o campeão não vem da execução da busca"
    print("✓ Marco 2: campeão registrado e documentado")

# %% [markdown]
# ## Marco 3 · Servido via REST
#
# Sirva `models:/capstone_precos@champion` com `lab_utils.ModelServer`, calcule o preço das
# vinte casas de `lab_utils.load_new_houses()` por `POST /invocations` com um corpo
# `dataframe_split`, pare o servidor e coloque a resposta de `requests.post` em
# `served_response`. (Iniciar o servidor leva alguns segundos: é um novo processo Python que
# baixa o modelo e o carrega.)

# %% tags=["exercise"]
served_response = ...  # seu código aqui

# %% tags=["solution"]
import requests

new_houses = lab_utils.load_new_houses()
server = lab_utils.ModelServer(f"models:/{model_name}@champion").start()
try:
    served_response = requests.post(f"{server.url}/invocations", timeout=60,
                                    json={"dataframe_split": new_houses.to_dict(orient="split", index=False)})
    served_response.raise_for_status()
finally:
    server.stop()

# %% [markdown]
# <details><summary>Dica</summary>
#
# `server = lab_utils.ModelServer("models:/capstone_precos@champion").start()`, depois
# `requests.post(f"{server.url}/invocations", json={"dataframe_split": houses.to_dict(orient="split", index=False)})`
# e `server.stop()` em um `finally:`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(served_response, "Milestone 3"):
    import json
    import requests
    from urllib.parse import urlparse

    assert isinstance(served_response, requests.Response), "coloque aqui a Response que o requests.post devolveu"
    sent, address = served_response.request, urlparse(served_response.url)
    assert sent.method == "POST" and address.path == "/invocations", "faça POST em /invocations do servidor"
    assert "dataframe_split" in json.loads(sent.body), "envie um corpo dataframe_split"
    server_log = lab.logs_dir / f"model-server-{address.port}.log"
    assert server_log.exists() and '"POST /invocations HTTP/1.1" 200' in server_log.read_text(), \
        "nenhum servidor de modelos iniciado com lab_utils.ModelServer respondeu a esta requisição"
    served_prices = served_response.json()["predictions"]
    expected = mlflow.pyfunc.load_model(f"models:/{model_name}@champion").predict(lab_utils.load_new_houses())
    assert len(served_prices) == 20 and np.allclose(served_prices, expected), "não são os preços do campeão"
    print("✓ Marco 3: vinte casas com preço calculado via REST pelo campeão")

# %% [markdown]
# ## Marco 4 · Um fluxo que retreina e promove
#
# Escreva um fluxo do Prefect `retreinar_capstone(learning_rate: float) -> bool` que treine
# `GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
# random_state=42)` em `X_train`, o registre em log em uma execução do MLflow (parâmetro
# `learning_rate`, métrica `validation_rmse`, modelo `model`), o registre como uma nova
# versão de `capstone_precos` e mova `@champion` para ela **somente se** o seu RMSE de
# validação for melhor que o do campeão atual. Ele devolve `True` quando promove.
#
# É preciso ver um critério de promoção funcionar nos dois sentidos. Execute o fluxo
# duas vezes, nesta ordem: `learning_rate=0.2` (deve superar o campeão e ser promovido),
# depois `learning_rate=0.01` (pior: é registrado, mas `@champion` não pode se mover).
# Coloque os dois resultados, nessa ordem, na lista `promotions`.

# %% tags=["exercise"]
promotions = ...  # seu código aqui

# %% tags=["solution"]
from prefect import flow, task


@task
def treinar(learning_rate: float) -> tuple[str, str, float]:
    with mlflow.start_run(run_name=f"capstone_retrain_lr{learning_rate}") as run:
        model = GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
                                          random_state=42).fit(X_train, y_train)
        rmse = validation_rmse(model)
        mlflow.log_param("learning_rate", learning_rate)
        mlflow.log_metric("validation_rmse", rmse)
        logged = mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                          skops_trusted_types=TREE_TYPES, pip_requirements=REQUIREMENTS)
    return run.info.run_id, logged.model_uri, rmse


@flow(name="retreinar-capstone")
def retreinar_capstone(learning_rate: float) -> bool:
    run_id, model_uri, rmse = treinar(learning_rate)
    version = mlflow.register_model(model_uri, model_name).version
    current = client.get_model_version_by_alias(model_name, "champion")
    current_rmse = client.get_run(current.run_id).data.metrics["validation_rmse"]
    if rmse < current_rmse:
        client.set_registered_model_alias(model_name, "champion", version)
        return True
    return False


promotions = [retreinar_capstone(learning_rate=0.2), retreinar_capstone(learning_rate=0.01)]

# %% [markdown]
# <details><summary>Dica</summary>
#
# No fluxo: `client.get_model_version_by_alias(model_name, "champion")` dá o campeão atual,
# e `client.get_run(<o run_id dele>).data.metrics["validation_rmse"]`, a pontuação dele; chame
# `client.set_registered_model_alias(...)` só quando o novo RMSE for menor.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(promotions, "Milestone 4"):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as prefect_client:
        flow_runs = prefect_client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["retreinar-capstone"])),
            sort=FlowRunSort.START_TIME_DESC, limit=2)
    assert [r.parameters.get("learning_rate") for r in reversed(flow_runs)] == [0.2, 0.01], \
        "as duas últimas execuções do fluxo retreinar-capstone deveriam ter learning_rate 0.2 e depois 0.01"
    assert all(r.state_type.value == "COMPLETED" for r in flow_runs), "uma execução do fluxo não foi concluída"
    versions = sorted(client.search_model_versions(f"name = '{model_name}'"), key=lambda v: int(v.version))
    better, worse = versions[-2], versions[-1]
    learning_rates = [client.get_run(v.run_id).data.params.get("learning_rate") for v in (better, worse)]
    assert learning_rates == ["0.2", "0.01"], \
        f"as duas versões mais novas foram treinadas com learning_rate {learning_rates}; esperado: 0.2, depois 0.01"
    better_rmse, worse_rmse = (client.get_run(v.run_id).data.metrics["validation_rmse"] for v in (better, worse))
    search_rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
    assert better_rmse < search_rmse < worse_rmse, "treine o modelo que o Marco 4 descreve (n_estimators=100, max_depth=2)"
    champion = client.get_model_version_by_alias(model_name, "champion")
    assert champion.version != worse.version, "o critério deixou entrar um modelo pior: @champion foi para learning_rate 0.01"
    assert champion.version == better.version, "o modelo melhor (learning_rate 0.2) não foi promovido a @champion"
    assert promotions == [True, False], f"o fluxo devolveu {promotions}; as promoções feitas foram [True, False]"
    print(f"✓ Marco 4: 0.2 promovido (RMSE {better_rmse:,.0f}), 0.01 barrado (RMSE {worse_rmse:,.0f})")

# %% [markdown]
# ## A pontuação de teste, uma única vez
#
# Todas as escolhas estão feitas: a busca escolheu pela validação cruzada, o critério de
# promoção pela validação. Agora, e só agora, calcule a pontuação do `@champion` final nas casas
# de teste e registre-a na execução dele. Se as casas de teste tivessem decidido alguma
# coisa, este número favoreceria o modelo, como faz o RMSE de validação.

# %%
try:
    final = client.get_model_version_by_alias(model_name, "champion")
except mlflow.exceptions.MlflowException:
    final = None
if final is None:
    print("Ainda não há @champion: conclua primeiro os Marcos 2 e 4.")
else:
    final_model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
    test_rmse = float(np.sqrt(mean_squared_error(y_test, final_model.predict(X_test))))
    client.log_metric(final.run_id, "test_rmse", test_rmse)
    validation = client.get_run(final.run_id).data.metrics["validation_rmse"]
    print(f"@champion, versão {final.version}: RMSE de validação {validation:,.0f} CAD (usado na escolha), "
          f"RMSE de teste {test_rmse:,.0f} CAD (informado uma única vez)")

# %% [markdown]
# ## Concluído
#
# Você levou um modelo por todo o ciclo de vida do MLflow em uma pilha real: rastreado,
# comparado, registrado, documentado, servido, retreinado e promovido por um pipeline, com
# cada passo verificado nos servidores. Abra a UI do MLflow — o experimento (experiment)
# `capstone` e o modelo `capstone_precos` — e a UI do Prefect (`retreinar-capstone`) para
# ver tudo.
#
# ## Leitura complementar
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/) — versões, apelidos,
#   descrições
# - [Busca de modelos registrados em log (searching logged models)](https://mlflow.org/docs/latest/ml/search/search-models)
# - [Implantar um modelo como servidor de inferência local (deploy a model as a local inference server)](https://mlflow.org/docs/latest/ml/deployment/deploy-model-locally/)
#   — `mlflow models serve` e sua API REST
# - [Prefect: fluxos (flows)](https://docs.prefect.io/v3/concepts/flows)
#
# ## Verifique o que aprendeu
#
# 1. A busca escolheu seus parâmetros por validação cruzada nas casas de treinamento. Por que o
#    campeão também recebe um RMSE de validação, e por que o RMSE de teste só é calculado
#    no fim?
# 2. O Marco 4 executa o fluxo primeiro com um modelo melhor e depois com um pior. Que
#    critério de promoção errado passaria se só o modelo melhor fosse executado, e qual
#    passaria se só o pior fosse?
# 3. Por que o fluxo registra todo modelo retreinado, mesmo o que ele não promove?
# 4. Que servidor a verificação de cada marco lê, e o que um aluno poderia forjar se uma
#    verificação comparasse apenas variáveis locais?

# %% [markdown] tags=["solution"]
# 1. A validação cruzada escolheu entre os candidatos da busca; o RMSE de validação compara
#    o campeão com os desafiantes posteriores (o critério de promoção) em casas nas quais
#    nenhum modelo foi ajustado. Toda pontuação usada para escolher é otimista; as casas de
#    teste, mantidas fora de todas as escolhas, dão a única estimativa honesta, para o
#    campeão final.
# 2. Só o melhor: passaria um critério que sempre promove. Só o pior: passaria um critério
#    que nunca promove. Executados em ordem, cada critério errado deixa o campeão errado.
# 3. Assim o registro de modelos guarda cada candidato com a sua execução (parâmetros,
#    métricas, modelo), e um desafiante recusado pode ser inspecionado, comparado ou
#    promovido à mão mais tarde; quem decide é o apelido, não o registro.
# 4. 1: o servidor de rastreamento (execuções, filhas, modelos registrados em log); 2: o
#    registro de modelos (versão, descrição, apelido); 3: o próprio log do servidor de
#    modelos (a requisição chegou até ele) e o campeão do registro (os preços); 4: a API do
#    Prefect (as execuções do fluxo e seus parâmetros) e o registro (as versões e
#    `@champion`). Comparando com variáveis locais, um aluno poderia digitar os valores
#    esperados (um `True`, uma lista de preços) sem fazer o trabalho.

# %% [markdown]
# Próxima: nenhuma — o curso está completo. Volte a **00 · Boas-vindas** para os comandos do
# laboratório, ou a qualquer lição para tentar de novo os seus exercícios.
